import AgentFirewallPolicy
import CAgentFirewallABI
import Testing

@Suite struct DecisionTests {
    @Test func theDefaultRuleIndexIsTheABIs() {
        #expect(Decision.defaultRuleIndex == Int32(AFW_RULE_DEFAULT))
    }

    @Test func decisionsCompareByEveryField() {
        let decision = Decision(action: .block, ruleIndex: 2, ruleID: "a.b", reason: "why")
        #expect(decision == Decision(action: .block, ruleIndex: 2, ruleID: "a.b", reason: "why"))
        #expect(decision != Decision(action: .block, ruleIndex: 3, ruleID: "a.b", reason: "why"))
        #expect(decision != Decision(action: .log, ruleIndex: 2, ruleID: "a.b", reason: "why"))
    }
}
