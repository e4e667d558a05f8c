import CAgentFirewallABI

/// What the policy said about one event, and why.
public struct Decision: Sendable, Equatable {
    public let action: Action
    /// Index of the deciding rule in the compiled table, or `Decision.defaultRuleIndex` when no
    /// rule matched and the surface default decided.
    public let ruleIndex: Int32
    /// nil for a surface default (the audit's `"rule": null`).
    public let ruleID: String?
    /// The rule's reason, or "no rule matched; the <surface> default is <action>".
    public let reason: String

    /// AFW_RULE_DEFAULT: the surface default decided.
    public static let defaultRuleIndex = Int32(AFW_RULE_DEFAULT)

    public init(action: Action, ruleIndex: Int32, ruleID: String?, reason: String) {
        self.action = action
        self.ruleIndex = ruleIndex
        self.ruleID = ruleID
        self.reason = reason
    }

    static func surfaceDefault(_ action: Action, surface: Surface) -> Decision {
        Decision(action: action, ruleIndex: defaultRuleIndex, ruleID: nil,
                 reason: "no rule matched; the \(surface.rawValue) default is \(action.rawValue)")
    }
}
