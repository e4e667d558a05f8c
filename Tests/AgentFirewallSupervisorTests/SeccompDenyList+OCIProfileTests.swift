import AgentFirewallSupervisor
import Foundation
import Testing

struct SeccompDenyListOCIProfileTests {
    private func profile() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(SeccompDenyList.ociProfile().utf8))
        return try #require(object as? [String: Any])
    }

    private func syscallRules() throws -> [[String: Any]] {
        try #require(try profile()["syscalls"] as? [[String: Any]])
    }

    @Test func allowsEverythingByDefaultOnTheFilterArchitectures() throws {
        let profile = try profile()
        #expect(profile["defaultAction"] as? String == "SCMP_ACT_ALLOW")
        #expect(profile["architectures"] as? [String] == SeccompDenyList.architectures.map(\.ociName))
        #expect(Set(profile.keys) == ["defaultAction", "architectures", "syscalls"])
    }

    @Test func deniesExactlyTheCallsOfTheDenyListWithTheirErrno() throws {
        let rules = try syscallRules()
        #expect(rules.count == SeccompDenyList.rules.count)
        for (entry, rule) in zip(rules, SeccompDenyList.rules) {
            #expect(entry["names"] as? [String] == rule.syscalls)
            #expect(entry["action"] as? String == "SCMP_ACT_ERRNO")
            #expect(entry["errnoRet"] as? Int == Int(rule.errno))
            #expect(entry["comment"] as? String == rule.reason)
        }
        let denied = rules.flatMap { $0["names"] as? [String] ?? [] }
        #expect(Set(denied) == Set(SeccompDenyList.rules.flatMap(\.syscalls)))
    }

    @Test func theEPERMRulesReturnErrno1AndClone3ReturnsENOSYS() throws {
        for entry in try syscallRules() {
            let names = entry["names"] as? [String] ?? []
            #expect(entry["errnoRet"] as? Int == (names == ["clone3"] ? 38 : 1), "\(names)")
        }
    }

    @Test func cloneAndPersonalityCarryAMaskedComparisonInOCIForm() throws {
        // OCI's SCMP_CMP_MASKED_EQ: `value` is the mask, `valueTwo` the bits it must equal.
        let expected: [String: (UInt64, UInt64)] = ["clone": (0x1000_0000, 0x1000_0000), "personality": (0x4_0000, 0x4_0000)]
        for (call, (mask, bits)) in expected {
            let entry = try #require(try syscallRules().first { ($0["names"] as? [String])?.contains(call) == true })
            let arguments = try #require(entry["args"] as? [[String: Any]])
            #expect(arguments.count == 1)
            #expect(arguments.first?["index"] as? Int == 0)
            #expect((arguments.first?["value"] as? NSNumber)?.uint64Value == mask)
            #expect((arguments.first?["valueTwo"] as? NSNumber)?.uint64Value == bits)
            #expect(arguments.first?["op"] as? String == "SCMP_CMP_MASKED_EQ")
        }
        let unconditional = try syscallRules().filter { ($0["names"] as? [String])?.contains("ptrace") == true }
        #expect(unconditional.first?["args"] == nil)
    }
}
