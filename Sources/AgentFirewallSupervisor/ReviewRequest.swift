import AgentFirewallPolicy

/// What a person is asked about when a call's decision is `review`: the call, the process
/// that made it and the rule that wants it reviewed.
public struct ReviewRequest: Sendable, Equatable {
    public let surface: Surface
    /// As the audit shows it: the resolved path, the argv joined by spaces, or host:port.
    public let subject: String
    /// The libc entry point or system call, e.g. "connect".
    public let operation: String
    public let process: ProcessLink
    /// The caller's parent, its parent and so on, nearest first.
    public let parents: [ProcessLink]
    /// nil when the surface default asked for the review.
    public let ruleID: String?
    public let reason: String

    public init(
        surface: Surface, subject: String, operation: String, process: ProcessLink, parents: [ProcessLink],
        ruleID: String?, reason: String
    ) {
        self.surface = surface
        self.subject = subject
        self.operation = operation
        self.process = process
        self.parents = parents
        self.ruleID = ruleID
        self.reason = reason
    }

    /// The subject as a person must see it to judge it: the path or host:port as the audit
    /// shows it, and a command line as shell words, each quoted when it is not a plain word,
    /// so that `rm -rf 'a b'` cannot pass for a command of three words.
    public static func subject(_ subject: AuditSubject) -> String {
        guard case .exec(_, let argv) = subject else { return subject.shown }
        return argv.map { shellWord(String(decoding: $0, as: UTF8.self)) }.joined(separator: " ")
    }

    static func shellWord(_ word: String) -> String {
        let plain = !word.isEmpty && word.unicodeScalars.allSatisfy {
            $0.isASCII && ($0.properties.isAlphabetic || $0.properties.numericType != nil || "_@%+=:,./-".unicodeScalars.contains($0))
        }
        return plain ? word : "'" + word.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
    }

    /// Two requests with the same key get the same answer: an answer "for this run" covers
    /// the rule and the subject, whichever process asks.
    var key: String {
        "\(surface.rawValue)\u{0}\(ruleID ?? "")\u{0}\(subject)"
    }
}

/// One process in a review's parent chain.
public struct ProcessLink: Sendable, Equatable {
    public let pid: Int32
    /// The executable's path, or "" when the process is gone or not ours to inspect.
    public let executable: String

    public init(pid: Int32, executable: String) {
        self.pid = pid
        self.executable = executable
    }
}
