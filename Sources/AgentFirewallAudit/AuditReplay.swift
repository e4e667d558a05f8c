import AgentFirewallPolicy

/// An action and the rule that chose it (nil: the surface default).
public struct ReplayVerdict: Sendable, Hashable, CustomStringConvertible {
    public let action: Action
    public let ruleID: String?

    public init(action: Action, ruleID: String?) {
        self.action = action
        self.ruleID = ruleID
    }

    public var description: String { "\(action.rawValue) (rule \(ruleID ?? "default"))" }
}

/// An event whose decision the replayed policy changes.
public struct ReplayChange: Sendable, Equatable {
    public let sequence: UInt64
    /// The line of the audit file.
    public let line: Int
    public let surface: Surface
    /// A path, host:port, or argv.
    public let subject: ReplaySubject
    public let recorded: ReplayVerdict
    public let replayed: ReplayVerdict
    /// The replayed rule's reason, or the surface default's sentence.
    public let reason: String
    /// The record's subject was cut short by the shim, so the replayed decision is about
    /// less than the live one saw.
    public let truncated: Bool
}

public enum ReplaySubject: Sendable, Equatable {
    case text(String)
    case argv([String])

    /// One line: argv joined by spaces.
    public var summary: String {
        switch self {
        case .text(let text): text
        case .argv(let argv): argv.joined(separator: " ")
        }
    }
}

/// Counts over a whole replay.
public struct ReplayTally: Sendable, Equatable {
    public var events: UInt64 = 0
    /// Events whose action changed.
    public var changed: UInt64 = 0
    /// Events decided with the same action by another rule: not a change in what the agent
    /// gets, but a rule that stopped or started matching.
    public var otherRule: UInt64 = 0
    public var truncatedEvents: UInt64 = 0
    /// Changed events by (recorded, replayed) verdict.
    public var transitions: [Transition: UInt64] = [:]

    public struct Transition: Sendable, Hashable {
        public let recorded: ReplayVerdict
        public let replayed: ReplayVerdict
    }

    /// Transitions, most frequent first (ties by name, so the output is stable).
    public var sortedTransitions: [(transition: Transition, count: UInt64)] {
        transitions.map { ($0.key, $0.value) }.sorted { left, right in
            if left.1 != right.1 { return left.1 > right.1 }
            return "\(left.0.recorded) \(left.0.replayed)" < "\(right.0.recorded) \(right.0.replayed)"
        }
    }
}

/// Re-decides recorded events with another policy's engine: the event rebuilt from the record
/// (`AuditLine.withEventView`) goes through `Engine.answer(view:)`, the same afw_table_decide
/// on the same kind of table the shim and the supervisor decided with. Nothing else decides.
///
/// Audits repeat themselves (a build opens the same headers, an agent reruns the same
/// command), so decisions are remembered by the exact bytes of the event they were made for
/// (`AuditLine.appendEventKey`): the same event, decided by the same pure function on the same
/// table, gets the same answer. The memory holds at most `cacheLimit` events and
/// `cacheByteLimit` bytes of keys and is emptied when full, so replay's memory stays bounded
/// however long the file. Where events do not repeat, remembering costs more than it saves
/// (a key built and hashed for every event, for nothing): a window of `probeWindow` events that
/// finds fewer than one in eight already answered turns the memory off for the next
/// `restWindow` events, after which it is tried again.
public struct AuditReplay {
    public let engine: Engine
    public private(set) var tally = ReplayTally()
    private var answers: [EventKey: Answer] = [:]
    /// One Decision (with its rule id and reason) per answer, shared by every event that got it.
    private var named: [Answer: Decision] = [:]
    private var cachedKeyBytes = 0
    private var key = EventKey()
    private var probed = 0
    private var probeHits = 0
    private var resting = 0
    private var lastNamed: (answer: Answer, decision: Decision)?

    /// Hashed as one block of bytes: [UInt8]'s own hashing feeds the hasher a byte at a time,
    /// which cost more than the rest of a cache hit.
    private struct EventKey: Hashable {
        var bytes: [UInt8] = []

        func hash(into hasher: inout Hasher) {
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        }
    }

    private struct Answer: Hashable {
        let action: Action
        let ruleIndex: Int32
        let surface: Surface
    }

    static let cacheLimit = 16_384
    static let cacheByteLimit = 2 << 20
    static let probeWindow = 1_024
    static let restWindow = 262_144

    public init(engine: Engine) {
        self.engine = engine
    }

    private mutating func decide(_ event: AuditLine) -> Decision {
        if resting > 0 {
            resting -= 1
            return name(answer(event))
        }
        key.bytes.removeAll(keepingCapacity: true)
        event.appendEventKey(to: &key.bytes)
        probed += 1
        if let answer = answers[key] {
            probeHits += 1
            return name(answer)
        }
        let answer = answer(event)
        if answers.count >= AuditReplay.cacheLimit || cachedKeyBytes + key.bytes.count > AuditReplay.cacheByteLimit {
            answers.removeAll(keepingCapacity: true)
            cachedKeyBytes = 0
        }
        answers[key] = answer
        cachedKeyBytes += key.bytes.count
        if probed == AuditReplay.probeWindow {
            if probeHits * 8 < probed { resting = AuditReplay.restWindow }
            (probed, probeHits) = (0, 0)
        }
        return name(answer)
    }

    private func answer(_ event: AuditLine) -> Answer {
        let answer = event.withEventView { engine.answer(view: $0) }
        return Answer(action: answer.action, ruleIndex: answer.ruleIndex, surface: event.surface)
    }

    private mutating func name(_ answer: Answer) -> Decision {
        // Runs of events get the same answer (the file default, mostly): no hashing for those.
        if let last = lastNamed, last.answer == answer { return last.decision }
        let decision = named[answer] ?? engine.decision(action: answer.action, ruleIndex: answer.ruleIndex, surface: answer.surface)
        named[answer] = decision
        lastNamed = (answer, decision)
        return decision
    }

    /// The change, or nil when the policy decides the event as the run did. An event decided
    /// with the same action by another rule is counted in `tally.otherRule`, not returned.
    public mutating func replay(_ event: AuditLine, line: Int) -> ReplayChange? {
        tally.events += 1
        if event.truncated { tally.truncatedEvents += 1 }
        let decision = decide(event)
        let sameRule = event.ruleIs(decision.ruleID)
        if decision.action == event.action {
            if !sameRule { tally.otherRule += 1 }
            return nil
        }
        let recorded = ReplayVerdict(action: event.action, ruleID: event.ruleID)
        let replayed = ReplayVerdict(action: decision.action, ruleID: decision.ruleID)
        tally.changed += 1
        tally.transitions[ReplayTally.Transition(recorded: recorded, replayed: replayed), default: 0] += 1
        return ReplayChange(
            sequence: event.sequence, line: line, surface: event.surface,
            subject: event.surface == .exec ? .argv(event.argv) : .text(event.subjectText),
            recorded: recorded, replayed: replayed, reason: decision.reason, truncated: event.truncated)
    }
}
