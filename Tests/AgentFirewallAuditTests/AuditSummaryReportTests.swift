import AgentFirewallAudit
import Foundation
import Testing

@Suite struct AuditSummaryReportTests {
    let directory = TemporaryDirectory()

    func read() throws -> (AuditStatistics, AuditReader.Ending) {
        let path = try writeAudit(in: directory, engine: try engine())
        var statistics = AuditStatistics()
        let ending = try AuditReader(path: path).forEachEvent { line, _ in statistics.add(line) }
        return (statistics, ending)
    }

    @Test func textShowsCountsBlockedSubjectsAndTheTree() throws {
        let (statistics, ending) = try read()
        let lines = AuditSummaryReport.text(statistics, ending: ending, audit: "a.jsonl")
        #expect(lines[0] == "a.jsonl: 7 events, policy recorded (test.yaml), enforce mode, exit status 0")
        #expect(lines[1] == "dropped 0, malformed 0, allowed counted 0")
        #expect(lines.contains("by surface:  file 2  exec 2  network 3"))
        #expect(lines.contains("by decision: allow 4  block 2  review 1  log 0  (reviews: 0 allowed, 1 denied)"))
        #expect(lines.contains("       1  file /work/project/.env"))
        #expect(lines.contains("  100 /usr/bin/cat (2 events, 1 blocked)"))
        #expect(lines.contains("      103 /usr/bin/curl (3 events, 1 blocked)"))
    }

    @Test func jsonIsOneObjectWithTheSameCounts() throws {
        let (statistics, ending) = try read()
        let object = try JSONSerialization.jsonObject(with: Data(AuditSummaryReport.json(statistics, ending: ending).utf8)) as? [String: Any]
        #expect(object?["events"] as? Int == 7)
        #expect(object?["dropped"] as? Int == 0)
        #expect((object?["by_surface"] as? [String: Int]) == ["file": 2, "exec": 2, "network": 3])
        #expect((object?["top_blocked"] as? [[String: Any]])?.count == 3)
        let roots = object?["processes"] as? [[String: Any]]
        #expect(roots?.first?["pid"] as? Int == 100)
        #expect((roots?.first?["children"] as? [[String: Any]])?.count == 2)
    }
}
