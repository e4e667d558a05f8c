import AgentFirewallSupervisor
import Foundation
import Testing

struct ApprovalsDirectoryTests {
    func mode(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
    }

    @Test func createsPrivateDirectoriesUnderTheRuntimeDirectory() throws {
        let runtime = TemporaryDirectory()
        let user = try ApprovalsDirectory.user(create: true, runtimeDirectory: runtime.path)
        #expect(user == runtime.path + "/agentfirewall")
        #expect(try mode(user) == 0o700)
        let run = try ApprovalsDirectory.run("4242", in: user)
        #expect(run == user + "/4242")
        #expect(try mode(run) == 0o700)
        _ = try ApprovalsDirectory.run("17", in: user)
        #expect(ApprovalsDirectory.runs(in: user) == ["17", "4242"])
        // Found again, not created again.
        #expect(try ApprovalsDirectory.user(create: false, runtimeDirectory: runtime.path) == user)
    }

    @Test func withoutARuntimeDirectoryItIsTheUsersDirectoryInTmp() throws {
        let user = try ApprovalsDirectory.user(create: true, runtimeDirectory: nil)
        #expect(user == "/tmp/agentfirewall-\(getuid())")
        #expect(try mode(user) == 0o700)
    }

    @Test func refusesADirectoryOthersCanEnter() throws {
        let runtime = TemporaryDirectory()
        try FileManager.default.createDirectory(
            atPath: runtime.file("agentfirewall"), withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        #expect(throws: SupervisorError.self) { try ApprovalsDirectory.user(create: true, runtimeDirectory: runtime.path) }
    }

    /// In /tmp, another user could have put a symlink where our directory goes.
    @Test func refusesASymlinkInPlaceOfTheDirectory() throws {
        let runtime = TemporaryDirectory()
        let elsewhere = TemporaryDirectory()
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: elsewhere.path)
        try FileManager.default.createSymbolicLink(atPath: runtime.file("agentfirewall"), withDestinationPath: elsewhere.path)
        #expect(throws: SupervisorError.self) { try ApprovalsDirectory.user(create: true, runtimeDirectory: runtime.path) }
    }

    @Test func refusesAFileInPlaceOfTheDirectory() throws {
        let runtime = TemporaryDirectory()
        #expect(FileManager.default.createFile(atPath: runtime.file("agentfirewall"), contents: nil))
        #expect(throws: SupervisorError.self) { try ApprovalsDirectory.user(create: false, runtimeDirectory: runtime.path) }
    }
}
