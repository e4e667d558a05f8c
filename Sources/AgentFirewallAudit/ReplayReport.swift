/// How `replay` prints what it found: one line per changed event, then a summary by rule.
public enum ReplayReport {
    /// `seq 12 file /home/dev/app/.env: block -> allow (rule secrets.dotenv -> default)`
    public static func text(_ change: ReplayChange) -> String {
        let rules = "rule \(change.recorded.ruleID ?? "default") -> \(change.replayed.ruleID ?? "default")"
        let note = change.truncated ? " [the record's subject is cut short]" : ""
        return "seq \(change.sequence) \(change.surface.rawValue) \(terminalSafe(change.subject.summary)): "
            + "\(change.recorded.action.rawValue) -> \(change.replayed.action.rawValue) (\(rules))\(note)"
    }

    public static func json(_ change: ReplayChange) -> String {
        var object = JSONWriter()
        object.field("seq", change.sequence)
        object.field("line", change.line)
        object.field("surface", change.surface.rawValue)
        switch change.subject {
        case .text(let text): object.field("subject", text)
        case .argv(let argv): object.field("subject", argv)
        }
        object.field("old_decision", change.recorded.action.rawValue)
        object.field("old_rule", change.recorded.ruleID)
        object.field("new_decision", change.replayed.action.rawValue)
        object.field("new_rule", change.replayed.ruleID)
        object.field("new_reason", change.reason)
        if change.truncated { object.field("truncated", true) }
        return object.object
    }

    /// The closing lines: how many events changed, then each (old -> new) pair of verdicts
    /// with its count.
    public static func text(_ tally: ReplayTally, audit: String, policy: String, recordedPolicy: String?) -> [String] {
        let policies = recordedPolicy.map { "policy \($0) -> \(policy)" } ?? "policy \(policy)"
        var lines = ["replayed \(tally.events) events of \(terminalSafe(audit)) (\(terminalSafe(policies))): "
            + (tally.changed == 0 ? "no decision changes" : "\(tally.changed) changed")]
        for (transition, count) in tally.sortedTransitions {
            lines.append("  \(count) \(transition.recorded.action.rawValue) -> \(transition.replayed.action.rawValue): "
                + "rule \(transition.recorded.ruleID ?? "default") -> \(transition.replayed.ruleID ?? "default")")
        }
        if tally.otherRule > 0 {
            lines.append("  \(tally.otherRule) events keep their decision but are now decided by another rule")
        }
        if tally.truncatedEvents > 0 {
            lines.append("  \(tally.truncatedEvents) events have a cut-short subject; they were decided on what the audit kept")
        }
        return lines
    }

    public static func json(_ tally: ReplayTally, policy: String, recordedPolicy: String?) -> String {
        var object = JSONWriter()
        object.field("summary", true)
        object.field("events", tally.events)
        object.field("changed", tally.changed)
        object.field("other_rule", tally.otherRule)
        object.field("truncated", tally.truncatedEvents)
        object.field("policy", policy)
        object.field("recorded_policy", recordedPolicy)
        let transitions = tally.sortedTransitions.map { transition, count in
            var entry = JSONWriter()
            entry.field("old_decision", transition.recorded.action.rawValue)
            entry.field("old_rule", transition.recorded.ruleID)
            entry.field("new_decision", transition.replayed.action.rawValue)
            entry.field("new_rule", transition.replayed.ruleID)
            entry.field("count", count)
            return entry.object
        }
        object.field("by_rule", raw: JSONWriter.list(transitions))
        return object.object
    }
}
