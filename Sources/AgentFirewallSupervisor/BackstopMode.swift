import CAgentFirewallABI

/// How much of the agent's work the seccomp backstop sends to the supervisor.
public enum BackstopMode: String, Sendable, CaseIterable {
    /// Every covered call except those the shim made from its gadget page after deciding
    /// them itself: full speed for ordinary programs, and static binaries, raw system calls
    /// and libc's internal opens are still decided. Native code that sets out to call the
    /// gadget (or to rewrite the shim's table) can get past it.
    case standard
    /// Every covered call of every process is decided by the supervisor, the shim's
    /// included; the shim decides nothing (its table and gadget are agent memory).
    case paranoid

    /// The value of AGENTFIREWALL_BACKSTOP that tells the shim which mode it runs under.
    public var environmentValue: String {
        switch self {
        case .standard: AFW_ENV_BACKSTOP_STANDARD
        case .paranoid: AFW_ENV_BACKSTOP_PARANOID
        }
    }
}
