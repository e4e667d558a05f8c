import AgentFirewallAudit
import AgentFirewallPolicy
import Foundation
import Testing

@Suite struct ReplayReportTests {
    let directory = TemporaryDirectory()

    func changes(under yaml: String) throws -> ([ReplayChange], ReplayTally) {
        let path = try writeAudit(in: directory, engine: try engine())
        var replay = AuditReplay(engine: try engine(yaml))
        var changes: [ReplayChange] = []
        _ = try AuditReader(path: path).forEachEvent { line, number in
            if let change = replay.replay(line, line: number) { changes.append(change) }
        }
        return (changes, replay.tally)
    }

    var loosened: String {
        recordedPolicyYAML.replacingOccurrences(of: "action: block\n    reason: no .env", with: "action: allow\n    reason: fine")
    }

    @Test func printsOneLinePerChangeAndASummaryByRule() throws {
        let (changes, tally) = try changes(under: loosened)
        #expect(changes.map(ReplayReport.text) == [
            "seq 1 file /work/project/.env: block -> allow (rule secrets.dotenv -> secrets.dotenv)",
        ])
        #expect(ReplayReport.text(tally, audit: "a.jsonl", policy: "new", recordedPolicy: "recorded") == [
            "replayed 7 events of a.jsonl (policy recorded -> new): 1 changed",
            "  1 block -> allow: rule secrets.dotenv -> secrets.dotenv",
        ])
    }

    @Test func saysWhenNothingChanges() throws {
        let (_, tally) = try changes(under: recordedPolicyYAML)
        #expect(ReplayReport.text(tally, audit: "a.jsonl", policy: "recorded", recordedPolicy: nil)
            == ["replayed 7 events of a.jsonl (policy recorded): no decision changes"])
    }

    @Test func jsonLinesCarryTheSameFacts() throws {
        let (changes, tally) = try changes(under: loosened)
        let change = try JSONSerialization.jsonObject(with: Data(ReplayReport.json(changes[0]).utf8)) as? [String: Any]
        #expect(change?["seq"] as? Int == 1)
        #expect(change?["subject"] as? String == "/work/project/.env")
        #expect(change?["old_decision"] as? String == "block")
        #expect(change?["new_decision"] as? String == "allow")
        #expect(change?["new_reason"] as? String == "fine")
        let summary = try JSONSerialization.jsonObject(with: Data(ReplayReport.json(tally, policy: "new", recordedPolicy: nil).utf8)) as? [String: Any]
        #expect(summary?["changed"] as? Int == 1)
        #expect(summary?["events"] as? Int == 7)
        #expect((summary?["by_rule"] as? [[String: Any]])?.first?["count"] as? Int == 1)
    }
}
