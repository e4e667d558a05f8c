import AgentFirewallPolicy

/// What a `review` decision does (`--approve`). Asking a human on the terminal or through
/// `agentfirewall approvals` comes with a later issue.
public enum ApproveMode: String, Sendable, CaseIterable {
    case deny, allow

    /// The answer a review gets, and who gave it, for the audit.
    public var resolution: ReviewResolution {
        ReviewResolution(outcome: self == .allow ? .allow : .block, answeredBy: "--approve \(rawValue)")
    }

    /// What the call gets (allow or block) for a decision, with the review's resolution when
    /// the decision was a review: the one place the slow path and the backstop turn a
    /// decision into an answer.
    public func enforce(_ decision: Decision) -> (action: Action, review: ReviewResolution?) {
        switch decision.action {
        case .allow, .log: (.allow, nil)
        case .block: (.block, nil)
        case .review: (resolution.outcome, resolution)
        }
    }
}
