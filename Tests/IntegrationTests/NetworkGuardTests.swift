import Foundation
import Testing

/// Outbound connections to a blocked address fail with EACCES before any packet leaves, from
/// every kind of program; allowed ones work. Only loopback addresses are used.
@Suite struct NetworkGuardTests {
    func pythonConnect(_ address: String, _ port: UInt16) -> String {
        """
        import socket
        try:
            socket.create_connection(('\(address)', \(port)), timeout=10)
            print('connected')
        except OSError as error:
            print('errno', error.errno)
        """
    }

    @Test func pythonCannotReachTheBlockedAddress() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.2")
        let outcome = try workspace.firewall(["python3", "-c", pythonConnect("127.0.0.2", listener.port)])
        #expect(outcome.stdout == "errno 13\n")
        #expect(!listener.hasPendingInput)
        #expect(outcome.stderr.contains(
            "agentfirewall: blocked network 127.0.0.2:\(listener.port) (rule test.blocked-address)"))
        let record = try #require(try workspace.records(about: "127.0.0.2:\(listener.port)").first)
        #expect(record["decision"] as? String == "block")
        #expect(record["address"] as? String == "127.0.0.2")
    }

    @Test func allowedAddressConnectsOnTheFastPath() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.1")
        let outcome = try workspace.firewall(["python3", "-c", pythonConnect("127.0.0.1", listener.port)])
        #expect(outcome.stdout == "connected\n")
        let record = try #require(try workspace.records(about: "127.0.0.1:\(listener.port)").first)
        #expect(record["decision"] as? String == "allow")
        #expect(record["path"] as? String == "fast")
    }

    @Test(arguments: ["connect", "syscall-connect"])
    func cProgramEntryPointsAreCovered(mode: String) throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.2")
        let outcome = try workspace.firewall([Build.probe, mode, "127.0.0.2", String(listener.port)])
        #expect(outcome.stdout == "errno=13\n")
        #expect(!listener.hasPendingInput)
    }

    @Test func grandchildIsCovered() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.2")
        workspace.write("connect.py", pythonConnect("127.0.0.2", listener.port))
        let outcome = try workspace.firewall(["sh", "-c", "bash -c 'python3 connect.py'"])
        #expect(outcome.stdout == "errno 13\n")
        #expect(!listener.hasPendingInput)
    }

    @Test func bashDevTcpIsCovered() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.2")
        let outcome = try workspace.firewall(["bash", "-c", "cat notes.txt > /dev/tcp/127.0.0.2/\(listener.port)"])
        #expect(outcome.status != 0)
        #expect(!listener.hasPendingInput)
    }

    @Test func hostNameTheAgentResolvedIsRecorded() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.1")
        let outcome = try workspace.firewall(["python3", "-c", pythonConnect("localhost", listener.port)])
        #expect(outcome.stdout == "connected\n")
        let records = try workspace.audit().filter { $0["surface"] as? String == "network" }
        #expect(records.contains { $0["host"] as? String == "localhost" })
    }

    @Test func reviewIsDeniedUnattendedAndAllowedWhenToldTo() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        let denied = try workspace.firewall(
            ["python3", "-c", pythonConnect("127.0.0.3", listener.port)], options: ["--approve", "deny"])
        #expect(denied.stdout == "errno 13\n")
        #expect(denied.stderr.contains(
            "agentfirewall: blocked network 127.0.0.3:\(listener.port) (rule test.reviewed-address): review denied: the test's reviewed address"))
        let record = try #require(try workspace.records(about: "127.0.0.3:\(listener.port)").first)
        #expect(record["decision"] as? String == "review")
        #expect(record["path"] as? String == "slow")
        #expect(record["outcome"] as? String == "block")

        let allowed = try workspace.firewall(
            ["python3", "-c", pythonConnect("127.0.0.3", listener.port)], options: ["--approve", "allow"])
        #expect(allowed.stdout == "connected\n")
        let allowedRecord = try #require(try workspace.records(about: "127.0.0.3:\(listener.port)").first)
        #expect(allowedRecord["outcome"] as? String == "allow")
    }
}
