import AgentFirewallSupervisor
import Foundation
import Testing

@Suite struct ProgramSearchTests {
    let directory = TemporaryDirectory()

    @Test func searchesThePathInOrder() throws {
        let first = directory.file("first")
        let second = directory.file("second")
        for bin in [first, second] {
            try FileManager.default.createDirectory(atPath: bin, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: bin + "/tool", contents: Data("#!/bin/sh\n".utf8),
                                           attributes: [.posixPermissions: 0o755])
        }
        let found = ProgramSearch.resolve("tool", searchPath: "/nonexistent:\(first):\(second)", workingDirectory: "/")
        #expect(found == .success(first + "/tool"))
    }

    @Test func aNameWithASlashIsNotSearchedButMadeAbsolute() {
        #expect(ProgramSearch.resolve("./sh", searchPath: "/nonexistent", workingDirectory: "/bin/../bin") == .success("/bin/sh"))
    }

    @Test func anUnsetPathSearchesTheDefault() {
        #expect(ProgramSearch.resolve("sh", searchPath: nil, workingDirectory: "/") == .success("/bin/sh"))
    }

    @Test func missingAndNotExecutableAreTold() {
        let plain = directory.file("plain")
        _ = FileManager.default.createFile(atPath: plain, contents: Data(), attributes: [.posixPermissions: 0o644])
        #expect(ProgramSearch.resolve("no-such-program-afw", searchPath: "/bin", workingDirectory: "/") == .failure(.notFound))
        #expect(ProgramSearch.resolve(plain, searchPath: nil, workingDirectory: "/") == .failure(.notExecutable(plain)))
        #expect(ProgramSearch.resolve("plain", searchPath: directory.path, workingDirectory: "/") == .failure(.notExecutable(plain)))
        #expect(ProgramSearch.resolve("", searchPath: "/bin", workingDirectory: "/") == .failure(.notFound))
    }
}
