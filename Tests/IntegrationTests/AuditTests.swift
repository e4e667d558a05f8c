import Foundation
import Testing

/// `agentfirewall audit summary` and `audit export` on the audit of a real run.
@Suite struct AuditTests {
    /// A run with one blocked read, one allowed read and one blocked exec, by a shell and its
    /// children, so the process tree has depth. A script file, because `sh -c` would name the
    /// forbidden program in its own argv and be blocked as a whole.
    func record(_ workspace: Workspace) throws {
        workspace.write("run.sh", "cat notes.txt .env; forbidden-tool; true\n")
        let outcome = try workspace.firewall(["sh", "run.sh"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
    }

    func run(_ workspace: Workspace, _ arguments: [String]) throws -> Outcome {
        try Command.run(Build.firewall, arguments, in: workspace.path, environment: workspace.environment)
    }

    @Test func summaryCountsTheRunAndNamesWhatWasBlocked() throws {
        let workspace = try Workspace()
        try record(workspace)
        let records = try workspace.audit()
        let outcome = try run(workspace, ["audit", "summary", "audit.jsonl", "--format", "json"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(summary["events"] as? Int == records.count - 1)
        #expect(summary["dropped"] as? Int == 0)
        let blocked = (summary["top_blocked"] as? [[String: Any]] ?? []).compactMap { $0["subject"] as? String }
        #expect(blocked.contains(workspace.file(".env")))
        #expect(blocked.contains("forbidden-tool"))
        // One tree: the supervisor's record of starting the shell is its root, and the shell
        // and the programs it ran hang from it by ppid.
        let roots = try #require(summary["processes"] as? [[String: Any]])
        #expect(roots.count == 1)
        #expect((roots.first?["children"] as? [[String: Any]])?.isEmpty == false)

        let text = try run(workspace, ["audit", "summary", "audit.jsonl"])
        #expect(text.status == 0)
        #expect(text.stdout.contains("file \(workspace.file(".env"))"))
        #expect(text.stdout.contains("test.secret"))
    }

    @Test func exportWritesOneOCSFEventPerRecord() throws {
        let workspace = try Workspace()
        try record(workspace)
        let records = try workspace.audit().dropLast()
        let outcome = try run(workspace, ["audit", "export", "audit.jsonl", "--format", "ocsf"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let events = try outcome.stdout.split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(events.count == records.count)
        for (record, event) in zip(records, events) {
            let expectedClass = ["file": 1001, "exec": 1007, "network": 4001][record["surface"] as? String ?? ""]
            #expect(event["class_uid"] as? Int == expectedClass)
            #expect((event["metadata"] as? [String: Any])?["uid"] as? String == String(record["seq"] as? Int ?? 0))
        }
    }

    @Test func aBadFileExitsTwoWithTheLine() throws {
        let workspace = try Workspace()
        workspace.write("bad.jsonl", "{\"seq\":1}\n")
        for arguments in [["audit", "summary", "bad.jsonl"], ["audit", "export", "bad.jsonl", "--format", "ocsf"]] {
            let outcome = try run(workspace, arguments)
            #expect(outcome.status == 2)
            #expect(outcome.stderr.hasPrefix("bad.jsonl:1: error: "))
        }
    }
}
