import Foundation
import Testing

/// `agentfirewall run` as a process supervisor: exit status, signals, policy errors, the
/// audit's shape, and failing closed when the supervisor dies.
@Suite struct RunTests {
    @Test func exitStatusIsTheAgents() throws {
        let workspace = try Workspace()
        #expect(try workspace.firewall(["sh", "-c", "exit 7"]).status == 7)
        #expect(try workspace.firewall(["sh", "-c", "kill -TERM $$"]).status == 128 + SIGTERM)
    }

    @Test func signalsSentToTheFirewallReachTheAgent() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["python3", "-c", Workspace.exitFiveOnSIGTERM]) { firewall in
            if workspace.waitFor("ready") { kill(firewall, SIGTERM) }
        }
        #expect(outcome.status == 5)
        #expect((try? String(contentsOfFile: workspace.file("got-signal"), encoding: .utf8)) == String(SIGTERM))
    }

    @Test func aBadPolicyStopsBeforeTheCommandStarts() throws {
        let workspace = try Workspace()
        workspace.write("policy.yaml", "version: 1\nrules:\n  - id: bad\n    surface: disk\n    action: block\n")
        let outcome = try workspace.firewall(["touch", "started"])
        #expect(outcome.status == 78)
        #expect(outcome.stderr.contains(workspace.file("policy.yaml") + ":4:"))
        #expect(outcome.stderr.contains("error:"))
        #expect(!FileManager.default.fileExists(atPath: workspace.file("started")))
    }

    @Test func auditSequenceIsGaplessAndEndsWithASummary() throws {
        let workspace = try Workspace()
        _ = try workspace.firewall(["bash", "-c", "cat notes.txt .env; ls >/dev/null"])
        let records = try workspace.audit()
        let summary = try #require(records.last)
        #expect(summary["summary"] as? Bool == true)
        #expect(summary["dropped"] as? Int == 0)
        let events = records.dropLast()
        #expect(summary["events"] as? Int == events.count)
        #expect(events.map { $0["seq"] as? Int } == Array(1...events.count).map { Optional($0) })
        for record in events {
            for key in ["time", "pid", "surface", "op", "subject", "decision", "reason"] {
                #expect(record[key] != nil, "\(key) missing in \(record)")
            }
            #expect(record.keys.contains("rule"))
        }
    }

    /// Fail closed: once the supervisor is gone, a call that needs it (a review) is denied
    /// at once instead of hanging or being allowed.
    @Test func killedSupervisorLeavesProtectedCallsDenied() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        #expect(mkfifo(workspace.file("go"), 0o600) == 0)
        let script = """
            import os, select, socket
            # Loaded now, while the supervisor lives: create_connection imports it on first use,
            # and once the supervisor is gone the backstop denies the loader's open of its library.
            import encodings.idna
            # Open the FIFO before saying ready, so the test's non-blocking open finds a reader;
            # then wait until the test writes to it, after it killed the supervisor.
            go = os.open('go', os.O_RDONLY | os.O_NONBLOCK)
            open('ready', 'w').close()
            select.select([go], [], [])
            try:
                socket.create_connection(('127.0.0.3', \(listener.port)), timeout=10)
                result = 'connected'
            except OSError as error:
                result = 'errno %d' % error.errno
            open('result.tmp', 'w').write(result)
            os.rename('result.tmp', 'result')
            """
        let outcome = try workspace.firewall(["python3", "-c", script], options: ["--approve", "allow"]) { firewall in
            if workspace.waitFor("ready") { kill(firewall, SIGKILL) }
        }
        #expect(outcome.status == 128 + SIGKILL)
        let go = open(workspace.file("go"), O_WRONLY | O_NONBLOCK)
        #expect(go >= 0)
        #expect(write(go, "g", 1) == 1)
        close(go)
        #expect(workspace.waitFor("result", timeout: 30))
        #expect((try? String(contentsOfFile: workspace.file("result"), encoding: .utf8)) == "errno 13")
        #expect(!listener.hasPendingInput)
    }
}
