import AgentFirewallPolicy
import Foundation
import Testing

@Suite struct BuiltinPacksTests {
    private let policies = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appending(path: "policies")

    @Test func namesAreThePackFiles() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: policies.path)
            .filter { $0.hasSuffix(".yaml") }.map { String($0.dropLast(5)) }.sorted()
        #expect(BuiltinPacks.names == files)
        #expect(BuiltinPacks.names == ["default", "strict"])
    }

    @Test(arguments: ["default", "strict"])
    func sourceIsTheFileByteForByte(name: String) throws {
        let file = try Data(contentsOf: policies.appending(path: "\(name).yaml"))
        #expect(BuiltinPacks.source(named: name).map { Data($0.utf8) } == file)
    }

    @Test func unknownNamesHaveNoSource() {
        #expect(BuiltinPacks.source(named: "nope") == nil)
        #expect(BuiltinPacks.source(named: "default.yaml") == nil)
    }

    @Test(arguments: ["default", "strict"])
    func everyPackLoadsAndEveryRuleGivesAReason(name: String) throws {
        let policy = try Policy.load(name, context: testContext)
        #expect(!policy.rules.isEmpty)
        for rule in policy.rules {
            #expect(!rule.reason.isEmpty, "\(rule.id) has no reason")
        }
    }
}
