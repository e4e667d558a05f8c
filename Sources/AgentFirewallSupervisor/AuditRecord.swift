import AgentFirewallPolicy
import CAgentFirewallABI

/// Which part of the firewall decided an event (the audit's "path").
public enum DecisionPath: String, Sendable {
    case fast, slow, backstop

    public var abiValue: UInt8 {
        switch self {
        case .fast: UInt8(AFW_PATH_FAST.rawValue)
        case .slow: UInt8(AFW_PATH_SLOW.rawValue)
        case .backstop: UInt8(AFW_PATH_BACKSTOP.rawValue)
        }
    }

    /// nil for a value that is not an afw_decision_path (records come from agent-writable memory).
    public init?(abiValue: UInt8) {
        switch UInt32(abiValue) {
        case AFW_PATH_FAST.rawValue: self = .fast
        case AFW_PATH_SLOW.rawValue: self = .slow
        case AFW_PATH_BACKSTOP.rawValue: self = .backstop
        default: return nil
        }
    }
}

/// What the call was about. Paths, argv and host names are kept as the bytes the process
/// used: they need not be UTF-8, and the audit must not silently change them.
public enum AuditSubject: Sendable, Equatable {
    case file(path: [UInt8], requestedPath: [UInt8]?, access: FileAccess)
    case exec(program: [UInt8], argv: [[UInt8]])
    case network(address: IPAddress, port: UInt16, host: [UInt8]?)

    var surface: Surface {
        switch self {
        case .file: .file
        case .exec: .exec
        case .network: .network
        }
    }

    /// The subject as messages show it: the path, the command line, or host:port (the name
    /// the process resolved when known, else the address).
    public var shown: String {
        switch self {
        case .file(let path, _, _):
            return String(decoding: path, as: UTF8.self)
        case .exec(_, let argv):
            return argv.map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
        case .network(let address, let port, let host):
            if let host, !host.isEmpty { return String(decoding: host, as: UTF8.self) + ":\(port)" }
            return address.family == 6 ? "[\(address)]:\(port)" : "\(address):\(port)"
        }
    }
}

/// How a `review` decision was resolved.
public struct ReviewResolution: Sendable, Equatable {
    /// allow or block: what the call got.
    public let outcome: Action
    /// Who answered, e.g. "--approve deny", "terminal", "timeout after 60 s".
    public let answeredBy: String
    /// The review's ID while it was pending (`agentfirewall approvals`); nil when it was
    /// answered without being asked (by --approve, or by an answer given for the whole run).
    public let reviewID: Int?
    /// How long the call was paused for the answer.
    public let waitedNanoseconds: UInt64

    public init(outcome: Action, answeredBy: String, reviewID: Int? = nil, waitedNanoseconds: UInt64 = 0) {
        self.outcome = outcome
        self.answeredBy = answeredBy
        self.reviewID = reviewID
        self.waitedNanoseconds = waitedNanoseconds
    }
}

/// One decided call, as the audit records it. `seq` is not here: the writer assigns it.
public struct AuditRecord: Sendable, Equatable {
    public var timeNanoseconds: UInt64
    public var pid: Int32
    public var parentPID: Int32
    public var executable: [UInt8]
    /// The libc entry point, e.g. "openat".
    public var operation: [UInt8]
    public var subject: AuditSubject
    public var decision: Decision
    public var monitor: Bool
    public var path: DecisionPath
    public var latencyNanoseconds: UInt64
    public var truncated: Bool
    public var review: ReviewResolution?
    /// An exec of a static binary: the shim never runs inside it, so the audit says where
    /// its coverage ends.
    public var staticBinary: Bool

    public init(
        timeNanoseconds: UInt64, pid: Int32, parentPID: Int32, executable: [UInt8], operation: [UInt8],
        subject: AuditSubject, decision: Decision, monitor: Bool, path: DecisionPath,
        latencyNanoseconds: UInt64, truncated: Bool = false, review: ReviewResolution? = nil,
        staticBinary: Bool = false
    ) {
        self.timeNanoseconds = timeNanoseconds
        self.pid = pid
        self.parentPID = parentPID
        self.executable = executable
        self.operation = operation
        self.subject = subject
        self.decision = decision
        self.monitor = monitor
        self.path = path
        self.latencyNanoseconds = latencyNanoseconds
        self.truncated = truncated
        self.review = review
        self.staticBinary = staticBinary
    }
}

/// The last line of an audit file. It carries what `replay` needs to rebuild the run's
/// table (policy, cwd, home) and says honestly what is missing from the lines above it.
public struct AuditSummary: Sendable, Equatable {
    /// Events lost to a full event ring (the header's evt_dropped).
    public var dropped: UInt64
    /// Records the supervisor could not decode (the agent can write to the rings).
    public var malformed: UInt64
    /// Fast-path allows counted instead of listed (`audit: {allowed: count}`).
    public var allowedCounted: UInt64
    public var policyName: String
    public var policySource: String
    public var context: PolicyContext
    public var monitor: Bool
    public var exitStatus: Int32

    public init(
        dropped: UInt64, malformed: UInt64, allowedCounted: UInt64, policyName: String, policySource: String,
        context: PolicyContext, monitor: Bool, exitStatus: Int32
    ) {
        self.dropped = dropped
        self.malformed = malformed
        self.allowedCounted = allowedCounted
        self.policyName = policyName
        self.policySource = policySource
        self.context = context
        self.monitor = monitor
        self.exitStatus = exitStatus
    }
}
