import AgentFirewallOS

/// A failure of the firewall itself (not of the agent). Each code is an exit status in
/// 70..79 (sysexits.h), so a script can tell a firewall failure from the agent's own status.
/// (A policy that does not load is a PolicyError, which the CLI maps to 78, EX_CONFIG.)
public struct SupervisorError: Error, CustomStringConvertible, Sendable {
    public struct Code: Hashable, Sendable {
        public let exitStatus: Int32

        /// A bug or an impossible state inside agentfirewall (EX_SOFTWARE).
        public static let internalFailure = Code(exitStatus: 70)
        /// A system call the firewall needs failed: shared memory, spawn, signals (EX_OSERR).
        public static let system = Code(exitStatus: 71)
        /// The preload library is missing (EX_OSFILE).
        public static let preloadLibraryMissing = Code(exitStatus: 72)
        /// The audit file cannot be created (EX_CANTCREAT).
        public static let auditCreate = Code(exitStatus: 73)
        /// The audit file could not be written completely (EX_IOERR).
        public static let auditWrite = Code(exitStatus: 74)
    }

    public let code: Code
    /// What failed and what to do, one line.
    public let message: String
    public let cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    /// The line printed on stderr.
    public var description: String { "agentfirewall: error: \(message)" }
}
