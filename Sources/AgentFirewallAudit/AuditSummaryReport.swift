import AgentFirewallPolicy

/// How `audit summary` prints `AuditStatistics`: text for people, one JSON object for machines.
public enum AuditSummaryReport {
    public static let topBlockedCount = 10

    public static func text(_ statistics: AuditStatistics, ending: AuditReader.Ending, audit: String) -> [String] {
        var lines: [String] = []
        var heading = "\(terminalSafe(audit)): \(statistics.events) events"
        if let summary = ending.summary {
            heading += ", policy \(terminalSafe(summary.policyName ?? "?"))"
            if let source = summary.policySource { heading += " (\(terminalSafe(source)))" }
            heading += summary.monitor ? ", monitor mode" : ", enforce mode"
            if let status = summary.exitStatus { heading += ", exit status \(status)" }
            lines.append(heading)
            lines.append("dropped \(summary.dropped), malformed \(summary.malformed ?? 0), allowed counted \(summary.allowedCounted ?? 0)")
        } else {
            lines.append(heading)
            lines.append("dropped: unknown (no summary line: the run did not finish)")
        }
        lines.append("")
        lines.append("by surface:  " + Surface.allCases.map { "\($0.rawValue) \(statistics.bySurface[$0] ?? 0)" }.joined(separator: "  "))
        var decisions = Action.allCases.map { "\($0.rawValue) \(statistics.byDecision[$0] ?? 0)" }
        if !statistics.reviewOutcomes.isEmpty {
            decisions.append("(reviews: \(statistics.reviewOutcomes[.allow] ?? 0) allowed, \(statistics.reviewOutcomes[.block] ?? 0) denied)")
        }
        lines.append("by decision: " + decisions.joined(separator: "  "))
        lines.append("by rule:")
        for (rule, count) in statistics.sortedRules {
            lines.append(pad(count) + "  " + terminalSafe(rule))
        }
        let top = statistics.topBlocked(topBlockedCount)
        lines.append("top blocked subjects:" + (top.isEmpty ? " none" : ""))
        for (subject, count) in top {
            lines.append(pad(count) + "  \(subject.surface.rawValue) \(terminalSafe(subject.subject))")
        }
        if statistics.blockedUnlisted > 0 {
            lines.append("  (\(statistics.blockedUnlisted) more blocked events on subjects past the first \(AuditStatistics.distinctLimit))")
        }
        lines.append("processes (pid, program, events):")
        func add(_ node: AuditStatistics.ProcessNode, depth: Int) {
            let process = node.process
            let blocked = process.blocked > 0 ? ", \(process.blocked) blocked" : ""
            let programs = process.executables.map(terminalSafe).joined(separator: " -> ")
            lines.append(String(repeating: "  ", count: depth + 1) + "\(process.pid) \(programs) (\(process.events) events\(blocked))")
            node.children.forEach { add($0, depth: depth + 1) }
        }
        statistics.processTree.forEach { add($0, depth: 0) }
        if statistics.processesUnlisted > 0 {
            lines.append("  (\(statistics.processesUnlisted) more events from processes past the first \(AuditStatistics.distinctLimit))")
        }
        return lines
    }

    public static func json(_ statistics: AuditStatistics, ending: AuditReader.Ending) -> String {
        var object = JSONWriter()
        object.field("events", statistics.events)
        if let summary = ending.summary {
            object.field("finished", true)
            object.field("dropped", summary.dropped)
            object.field("malformed", summary.malformed ?? 0)
            object.field("allowed_counted", summary.allowedCounted ?? 0)
            object.field("policy", summary.policyName)
            object.field("policy_source", summary.policySource)
            object.field("mode", summary.monitor ? "monitor" : "enforce")
            if let status = summary.exitStatus { object.field("exit_status", status) }
        } else {
            object.field("finished", false)
            object.field("dropped", raw: "null")
        }
        object.field("by_surface", raw: counts(Surface.allCases.map { ($0.rawValue, statistics.bySurface[$0] ?? 0) }))
        object.field("by_decision", raw: counts(Action.allCases.map { ($0.rawValue, statistics.byDecision[$0] ?? 0) }))
        object.field("review_outcomes", raw: counts([("allow", statistics.reviewOutcomes[.allow] ?? 0),
                                                     ("block", statistics.reviewOutcomes[.block] ?? 0)]))
        let rules = statistics.sortedRules.map { rule, count in
            var entry = JSONWriter()
            entry.field("rule", rule)
            entry.field("count", count)
            return entry.object
        }
        object.field("by_rule", raw: JSONWriter.list(rules))
        let top = statistics.topBlocked(topBlockedCount).map { subject, count in
            var entry = JSONWriter()
            entry.field("surface", subject.surface.rawValue)
            entry.field("subject", subject.subject)
            entry.field("count", count)
            return entry.object
        }
        object.field("top_blocked", raw: JSONWriter.list(top))
        object.field("processes", raw: JSONWriter.list(statistics.processTree.map(processJSON)))
        return object.object
    }

    private static func processJSON(_ node: AuditStatistics.ProcessNode) -> String {
        var entry = JSONWriter()
        entry.field("pid", node.process.pid)
        if let parent = node.process.parentPID { entry.field("ppid", parent) } else { entry.field("ppid", raw: "null") }
        entry.field("executables", node.process.executables)
        entry.field("events", node.process.events)
        entry.field("blocked", node.process.blocked)
        entry.field("children", raw: JSONWriter.list(node.children.map(processJSON)))
        return entry.object
    }

    private static func counts(_ pairs: [(String, UInt64)]) -> String {
        var object = JSONWriter()
        for (name, count) in pairs { object.field(name, count) }
        return object.object
    }

    private static func pad(_ count: UInt64) -> String {
        let digits = String(count)
        return String(repeating: " ", count: max(0, 8 - digits.count)) + digits
    }
}
