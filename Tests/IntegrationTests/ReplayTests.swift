import Foundation
import Testing

/// `agentfirewall replay` on the audit of a real run: the recording policy changes nothing on
/// any surface, an edited policy reports exactly the events it changes, and a damaged file is
/// refused with its line number. Network traffic stays on loopback (127.0.0.1, .2, .3).
@Suite struct ReplayTests {
    /// Touches every surface with an allow and a refusal: reads the secret (blocked) and the
    /// notes (allowed), runs the forbidden program (blocked) and cat (allowed), connects to
    /// 127.0.0.1 (allowed), 127.0.0.2 (blocked) and 127.0.0.3 (reviewed, denied).
    func agentScript(port: UInt16) -> String {
        """
        import socket, subprocess
        for name in ('.env', 'notes.txt'):
            try: open(name).read()
            except OSError: pass
        for argv in (['forbidden-tool'], ['cat', 'notes.txt']):
            try: subprocess.run(argv, stdout=subprocess.DEVNULL)
            except OSError: pass
        for address in ('127.0.0.1', '127.0.0.2', '127.0.0.3'):
            try: socket.create_connection((address, \(port)), timeout=10).close()
            except OSError: pass
        """
    }

    /// Records the agent's run under the workspace policy; returns its audit records.
    func record(_ workspace: Workspace) throws -> [[String: Any]] {
        let listener = try LoopbackListener(address: "127.0.0.1")
        workspace.write("agent.py", agentScript(port: listener.port))
        let outcome = try workspace.firewall(["python3", "agent.py"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        return try workspace.audit()
    }

    func replay(_ workspace: Workspace, _ arguments: [String]) throws -> Outcome {
        try Command.run(Build.firewall, ["replay"] + arguments, in: workspace.path, environment: workspace.environment)
    }

    func decisions(_ records: [[String: Any]], surface: String) -> Set<String> {
        Set(records.filter { $0["surface"] as? String == surface }.compactMap { $0["decision"] as? String })
    }

    @Test func theRecordingPolicyChangesNoDecisionOnAnySurface() throws {
        let workspace = try Workspace()
        let records = try record(workspace)
        // The run must have refused and allowed on every surface, or "no change" proves little.
        #expect(decisions(records, surface: "file").isSuperset(of: ["allow", "block"]))
        #expect(decisions(records, surface: "exec").isSuperset(of: ["allow", "block"]))
        #expect(decisions(records, surface: "network") == ["allow", "block", "review"])

        let outcome = try replay(workspace, ["audit.jsonl", "--policy", workspace.file("policy.yaml")])
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stdout == "replayed \(records.count - 1) events of audit.jsonl (policy integration -> integration): no decision changes\n")
        #expect(outcome.stderr == "")
    }

    @Test func anEditedPolicyReportsExactlyTheChangedEvents() throws {
        let workspace = try Workspace()
        let records = try record(workspace)
        // Allow the secret, let the reviewed address through, block 127.0.0.1.
        let edited = Workspace.policy
            .replacingOccurrences(of: "action: block\n    reason: the test secret", with: "action: allow\n    reason: the test secret")
            .replacingOccurrences(of: "action: review\n    reason: the test's reviewed address", with: "action: allow\n    reason: the test's reviewed address")
            + """
              - id: test.no-localhost
                surface: network
                match: {address: [127.0.0.1/32]}
                action: block

            """
        workspace.write("edited.yaml", edited)

        let expected = records.compactMap { record -> Int? in
            guard let seq = record["seq"] as? Int, let subject = record["subject"] as? String else { return nil }
            let address = record["address"] as? String
            let changes = subject == workspace.file(".env") || address == "127.0.0.1" || address == "127.0.0.3"
            return changes ? seq : nil
        }
        #expect(expected.count >= 3)

        let outcome = try replay(workspace, ["audit.jsonl", "--policy", workspace.file("edited.yaml"), "--json"])
        #expect(outcome.status == 1, "\(outcome.stderr)")
        let lines = try outcome.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        let changes = lines.dropLast()
        #expect(changes.compactMap { $0["seq"] as? Int } == expected)
        for change in changes {
            let transition = "\(change["old_decision"] as? String ?? "?") -> \(change["new_decision"] as? String ?? "?")"
            switch change["subject"] as? String {
            case workspace.file(".env"): #expect(transition == "block -> allow")
            case let subject? where subject.hasPrefix("127.0.0.1:"):
                #expect(transition == "allow -> block")
                #expect(change["new_rule"] as? String == "test.no-localhost")
            case let subject? where subject.hasPrefix("127.0.0.3:"): #expect(transition == "review -> allow")
            default: Issue.record("unexpected change \(change)")
            }
        }
        #expect(lines.last?["changed"] as? Int == expected.count)

        let text = try replay(workspace, ["audit.jsonl", "--policy", workspace.file("edited.yaml")])
        #expect(text.status == 1)
        #expect(text.stdout.contains("seq \(expected[0]) file \(workspace.file(".env")): block -> allow (rule test.secret -> test.secret)\n"))
    }

    @Test func aCorruptedLineIsRefusedWithItsNumber() throws {
        let workspace = try Workspace()
        _ = try record(workspace)
        var lines = try String(contentsOfFile: workspace.file("audit.jsonl"), encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        lines[2] = lines[2].replacingOccurrences(of: "\"surface\":", with: "\"surface\":1,\"x\":")[...]
        workspace.write("corrupt.jsonl", lines.joined(separator: "\n"))
        let outcome = try replay(workspace, ["corrupt.jsonl", "--policy", workspace.file("policy.yaml")])
        #expect(outcome.status == 2)
        #expect(outcome.stderr == "corrupt.jsonl:3: error: \"surface\" must be a string\n")
    }

    @Test func aRunCutShortIsReplayedWithAWarning() throws {
        let workspace = try Workspace()
        _ = try record(workspace)
        let text = try String(contentsOfFile: workspace.file("audit.jsonl"), encoding: .utf8)
        var lines = text.split(separator: "\n").map(String.init)
        lines.removeLast()  // the summary: the run "crashed"
        let cut = lines.joined(separator: "\n") + "\n" + #"{"seq":\#(lines.count + 1),"time":"2026-"#
        workspace.write("cut.jsonl", cut)
        let outcome = try replay(workspace, ["cut.jsonl", "--policy", workspace.file("policy.yaml")])
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stdout.contains("replayed \(lines.count) events"))
        #expect(outcome.stderr.contains("cut.jsonl:\(lines.count + 1): warning: the last line is cut short"))
        #expect(outcome.stderr.contains("no summary line"))
    }

    /// examples/ci/ replays its committed audit against the default pack in users' CI: the
    /// pack as this commit has it must not change a decision of that run (when an edit to the
    /// pack means to, record the example again with scripts/demo).
    @Test func theCIExampleAuditReplaysCleanlyUnderTheDefaultPack() throws {
        let workspace = try Workspace()
        let example = URL(fileURLWithPath: Build.fixtures).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/ci/audit.jsonl").path
        let outcome = try replay(workspace, [example, "--policy", "default"])
        #expect(outcome.status == 0, "\(outcome.stdout)\(outcome.stderr)")
        #expect(outcome.stdout.contains("no decision changes"))
    }
}
