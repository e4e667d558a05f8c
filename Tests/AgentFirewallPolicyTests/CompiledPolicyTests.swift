import AgentFirewallPolicy
import CAgentFirewallABI
import CInterposeCore
import Testing

/// The compiler's output, read back through the ABI's own structs and the C validator.
@Suite struct CompiledPolicyTests {
    private let yaml = """
        version: 1
        name: layout
        defaults: {file: block, exec: review, network: log}
        audit: {allowed: count}
        rules:
          - id: f.one
            surface: file
            match: {path: ["/a/**", "/b"], access: [read, create]}
            action: allow
            reason: first
          - id: n.two
            surface: network
            match: {host: ["*.example"], port: [443, "8000-8080"], address: ["10.0.0.0/8", "::1/128"]}
            action: log
          - id: e.three
            surface: exec
            match: {command: ["make *"], program: [make]}
            action: review
            reason: first
        """

    private func header(_ table: [UInt8]) -> afw_table_header {
        table.withUnsafeBytes { $0.loadUnaligned(as: afw_table_header.self) }
    }

    private func rules(_ table: [UInt8]) -> [afw_table_rule] {
        let header = header(table)
        return (0..<Int(header.rule_count)).map { index in
            table.withUnsafeBytes {
                $0.loadUnaligned(fromByteOffset: Int(header.rules_offset) + index * MemoryLayout<afw_table_rule>.size, as: afw_table_rule.self)
            }
        }
    }

    private func matchers(_ table: [UInt8]) -> [afw_table_matcher] {
        let header = header(table)
        return (0..<Int(header.matcher_count)).map { index in
            table.withUnsafeBytes {
                $0.loadUnaligned(fromByteOffset: Int(header.matchers_offset) + index * MemoryLayout<afw_table_matcher>.size,
                                 as: afw_table_matcher.self)
            }
        }
    }

    private func string(_ table: [UInt8], _ offset: UInt32) -> String {
        let start = Int(header(table).strings_offset + offset)
        return String(decoding: table[start...].prefix { $0 != 0 }, as: UTF8.self)
    }

    @Test func theTablePassesTheCValidator() throws {
        for policy in [try Policy.parse(yaml: yaml, path: "t.yaml", context: testContext),
                       try Policy.load("default", context: testContext), try Policy.load("strict", context: testContext)] {
            let table = CompiledPolicy(policy).table
            #expect(table.withUnsafeBytes { afw_table_validate($0.baseAddress, $0.count) } == AFW_OK)
        }
    }

    @Test func theHeaderDescribesTheSections() throws {
        let table = CompiledPolicy(try Policy.parse(yaml: yaml, path: "t.yaml", context: testContext)).table
        let header = header(table)
        #expect(header.magic == AFW_TABLE_MAGIC)
        #expect(header.version == AFW_TABLE_VERSION)
        #expect(Int(header.total_size) == table.count)
        #expect(header.flags == AFW_TABLE_AUDIT_ALLOWED_COUNT.rawValue)
        #expect(header.rule_count == 3)
        #expect(header.rules_offset == UInt32(MemoryLayout<afw_table_header>.size))
        #expect(header.matcher_count == 9)
        #expect(header.matchers_offset == header.rules_offset + 3 * UInt32(MemoryLayout<afw_table_rule>.size))
        #expect(header.strings_offset == header.matchers_offset + 9 * UInt32(MemoryLayout<afw_table_matcher>.size))
        #expect(header.strings_offset + header.strings_size == header.total_size)
        #expect(header.defaults.1 == Action.block.abiValue)
        #expect(header.defaults.2 == Action.review.abiValue)
        #expect(header.defaults.3 == Action.log.abiValue)
        #expect(string(table, header.name_str) == "layout")
    }

    @Test func theStringPoolStartsWithTheEmptyStringAndSharesRepeats() throws {
        let table = CompiledPolicy(try Policy.parse(yaml: yaml, path: "t.yaml", context: testContext)).table
        #expect(table[Int(header(table).strings_offset)] == 0)
        let rules = rules(table)
        #expect(rules[1].reason_str == 0)
        #expect(rules[0].reason_str == rules[2].reason_str)
        #expect(rules.map { string(table, $0.id_str) } == ["f.one", "n.two", "e.three"])
    }

    @Test func rulesAndMatchersCarryTheMatch() throws {
        let table = CompiledPolicy(try Policy.parse(yaml: yaml, path: "t.yaml", context: testContext)).table
        let rules = rules(table)
        #expect(rules.map(\.surface) == [Surface.file, .network, .exec].map(\.abiValue))
        #expect(rules.map(\.action) == [Action.allow, .log, .review].map(\.abiValue))
        #expect(rules[0].access_mask == FileAccess([.read, .create]).rawValue)
        #expect(rules[1].access_mask == 0)
        #expect(rules.map(\.first_matcher) == [0, 2, 7])
        #expect(rules.map(\.matcher_count) == [2, 5, 2])

        let matchers = matchers(table)
        let keys: [afw_match_key] = [AFW_MATCH_PATH, AFW_MATCH_PATH, AFW_MATCH_HOST, AFW_MATCH_PORT, AFW_MATCH_PORT,
                                     AFW_MATCH_ADDRESS, AFW_MATCH_ADDRESS, AFW_MATCH_COMMAND, AFW_MATCH_PROGRAM]
        #expect(matchers.map(\.key) == keys.map { UInt8($0.rawValue) })
        #expect(string(table, matchers[0].glob_str) == "/a/**")
        #expect(string(table, matchers[2].glob_str) == "*.example")
        #expect((matchers[3].port_low, matchers[3].port_high) == (443, 443))
        #expect((matchers[4].port_low, matchers[4].port_high) == (8000, 8080))
        #expect(matchers[5].family == 4 && matchers[5].prefix_length == 8)
        #expect(withUnsafeBytes(of: matchers[5].address) { Array($0) } == [10] + Array(repeating: 0, count: 15))
        #expect(matchers[6].family == 6 && matchers[6].prefix_length == 128)
        #expect(withUnsafeBytes(of: matchers[6].address) { Array($0) } == Array(repeating: 0, count: 15) + [1])
    }

    @Test func unsetDefaultsAreFilledIn() throws {
        let table = CompiledPolicy(try Policy.parse(yaml: "version: 1\n", path: "t.yaml", context: testContext)).table
        let header = header(table)
        #expect([header.defaults.1, header.defaults.2, header.defaults.3] == [Action.allow, .allow, .review].map(\.abiValue))
        #expect(header.flags == 0)
        #expect(header.rule_count == 0 && header.matcher_count == 0)
        #expect(table.withUnsafeBytes { afw_table_validate($0.baseAddress, $0.count) } == AFW_OK)
    }
}
