import AgentFirewallAudit
import Testing

@Suite struct AuditErrorTests {
    @Test func namesTheFileAndTheLineLikeACompiler() {
        #expect(AuditError(.syntax, path: "a.jsonl", line: 7, message: "expected '{'").description
            == "a.jsonl:7: error: expected '{'")
        #expect(AuditError(.unreadable, path: "a.jsonl", line: nil, message: "cannot open").description
            == "a.jsonl: error: cannot open")
    }
}
