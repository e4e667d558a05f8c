import AgentFirewallPolicy
import Testing

@Suite struct PolicyTests {
    @Test func unsetSurfacesAllowFilesAndExecAndReviewTheNetwork() {
        #expect(Policy.unsetDefaults == [.file: .allow, .exec: .allow, .network: .review])
    }

    @Test func defaultActionReadsTheFlattenedDefaults() throws {
        let policy = try Policy.parse(yaml: "version: 1\ndefaults: {exec: block}\n", path: "t.yaml", context: testContext)
        #expect(policy.defaultAction(for: .exec) == .block)
        #expect(policy.defaultAction(for: .file) == .allow)
        #expect(policy.defaultAction(for: .network) == .review)
    }

    @Test func rulesKeepFileOrder() throws {
        let yaml = """
            version: 1
            rules:
              - {id: z.last-name-first, surface: network, match: {port: [1]}, action: allow}
              - {id: a.first-name-last, surface: network, match: {port: [1]}, action: block}
            """
        let policy = try Policy.parse(yaml: yaml, path: "t.yaml", context: testContext)
        #expect(policy.rules.map(\.id) == ["z.last-name-first", "a.first-name-last"])
        #expect(Engine(CompiledPolicy(policy)).decide(connect("::1", 1)).action == .allow)
    }
}
