import AgentFirewallPolicy

/// What a `review` decision does (`--approve`). Asking a human on the terminal or through
/// `agentfirewall approvals` comes with a later issue.
public enum ApproveMode: String, Sendable, CaseIterable {
    case deny, allow

    /// The answer a review gets, and who gave it, for the audit.
    public var resolution: ReviewResolution {
        ReviewResolution(outcome: self == .allow ? .allow : .block, answeredBy: "--approve \(rawValue)")
    }
}
