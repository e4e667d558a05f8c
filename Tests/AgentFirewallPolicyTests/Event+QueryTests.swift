import AgentFirewallPolicy
import Foundation
import Testing

@Suite struct EventQueryTests {
    /// As the shim reports an open: `..` folded, a symlink resolved, the written name kept.
    @Test func anOpenIsResolvedAsTheShimResolvesIt() throws {
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).resolvingSymlinksInPath().path + "/query-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory + "/sub", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        FileManager.default.createFile(atPath: directory + "/.env", contents: Data())
        #expect(symlink(directory + "/.env", directory + "/alias") == 0)

        #expect(Event.file(opening: directory + "/sub/../.env", access: .read)
            == .file(path: directory + "/.env", requestedPath: nil, access: .read))
        #expect(Event.file(opening: directory + "/alias", access: .write)
            == .file(path: directory + "/.env", requestedPath: directory + "/alias", access: .write))
        #expect(Event.file(opening: directory + "/missing", access: .create)
            == .file(path: directory + "/missing", requestedPath: nil, access: .create))
    }

    @Test func aHostWithoutAnAddressConnectsToTheUnspecifiedAddress() {
        #expect(Event.connecting(host: "example.com", address: nil, port: 443)
            == .network(address: IPAddress("0.0.0.0")!, port: 443, host: "example.com"))
        #expect(Event.connecting(host: nil, address: IPAddress("::1"), port: 22)
            == .network(address: IPAddress("::1")!, port: 22, host: nil))
    }
}
