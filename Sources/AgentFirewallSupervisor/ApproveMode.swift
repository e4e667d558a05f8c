import AgentFirewallPolicy

/// What a `review` decision does (`--approve`): ask a person (on the terminal and through
/// `agentfirewall approvals`), or answer every review the same way for an unattended run.
public enum ApproveMode: String, Sendable, CaseIterable {
    case ask, deny, allow

    /// The answer every review gets without asking; nil when a person is asked.
    public var automaticResolution: ReviewResolution? {
        switch self {
        case .ask: nil
        case .deny: ReviewResolution(outcome: .block, answeredBy: "--approve deny")
        case .allow: ReviewResolution(outcome: .allow, answeredBy: "--approve allow")
        }
    }

    /// The resolution recorded for a review in monitor mode, where nothing is enforced and so
    /// nobody is asked: the call goes on whatever the answer would have been.
    public var monitorResolution: ReviewResolution {
        automaticResolution ?? ReviewResolution(outcome: .allow, answeredBy: "--mode monitor")
    }
}
