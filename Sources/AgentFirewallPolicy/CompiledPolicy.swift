import CAgentFirewallABI

/// A policy as the shim evaluates it: bytes in the afw_table format of agentfirewall_abi.h,
/// evaluated by afw_table_decide both in the shim and in `Engine`.
public struct CompiledPolicy: Sendable {
    public let table: [UInt8]

    public init(_ policy: Policy) {
        self.init(rules: policy.rules, name: policy.name, defaults: policy.defaults, auditAllowed: policy.auditAllowed)
    }

    /// Surfaces missing from `defaults` get `Policy.unsetDefaults`.
    init(rules: [Rule], name: String, defaults: [Surface: Action], auditAllowed: AuditAllowed) {
        var builder = TableBuilder()
        table = builder.build(rules: rules, name: name, defaults: Policy.unsetDefaults.merging(defaults) { _, set in set },
                              auditAllowed: auditAllowed)
    }
}

/// Lays out header, rules, matchers and the string pool. Writes the C structs themselves
/// (they have no padding: the header pins their sizes) so the layout cannot drift from the
/// header's.
private struct TableBuilder {
    private var pool: [UInt8] = [0]  // offset 0 is "", which reason_str uses for "no reason"
    private var offsets: [String: UInt32] = ["": 0]

    mutating func build(rules: [Rule], name: String, defaults: [Surface: Action], auditAllowed: AuditAllowed) -> [UInt8] {
        var tableRules: [afw_table_rule] = []
        var matchers: [afw_table_matcher] = []
        for rule in rules {
            var entry = afw_table_rule()
            entry.surface = rule.surface.abiValue
            entry.action = rule.action.abiValue
            entry.access_mask = rule.match.access.rawValue
            entry.id_str = string(rule.id)
            entry.reason_str = string(rule.reason)
            entry.first_matcher = UInt32(matchers.count)
            matchers += self.matchers(rule.match)
            entry.matcher_count = UInt32(matchers.count) - entry.first_matcher
            tableRules.append(entry)
        }

        var header = afw_table_header()
        header.magic = AFW_TABLE_MAGIC
        header.version = AFW_TABLE_VERSION
        header.flags = auditAllowed == .count ? AFW_TABLE_AUDIT_ALLOWED_COUNT.rawValue : 0
        header.name_str = string(name)
        withUnsafeMutableBytes(of: &header.defaults) { defaultsBytes in
            for surface in Surface.allCases {
                defaultsBytes[Int(surface.abiValue)] = defaults[surface]!.abiValue
            }
        }
        let headerSize = MemoryLayout<afw_table_header>.size
        header.rule_count = UInt32(tableRules.count)
        header.rules_offset = UInt32(headerSize)
        header.matcher_count = UInt32(matchers.count)
        header.matchers_offset = header.rules_offset + UInt32(tableRules.count * MemoryLayout<afw_table_rule>.size)
        header.strings_offset = header.matchers_offset + UInt32(matchers.count * MemoryLayout<afw_table_matcher>.size)
        header.strings_size = UInt32(pool.count)
        header.total_size = header.strings_offset + header.strings_size

        var table: [UInt8] = []
        table.reserveCapacity(Int(header.total_size))
        withUnsafeBytes(of: header) { table += $0 }
        for rule in tableRules { withUnsafeBytes(of: rule) { table += $0 } }
        for matcher in matchers { withUnsafeBytes(of: matcher) { table += $0 } }
        table += pool
        return table
    }

    private mutating func matchers(_ match: Match) -> [afw_table_matcher] {
        var matchers: [afw_table_matcher] = []
        func glob(_ key: afw_match_key, _ globs: [String]) {
            for glob in globs {
                var matcher = afw_table_matcher()
                matcher.key = UInt8(key.rawValue)
                matcher.glob_str = string(glob)
                matchers.append(matcher)
            }
        }
        glob(AFW_MATCH_PATH, match.paths)
        glob(AFW_MATCH_COMMAND, match.commands)
        glob(AFW_MATCH_PROGRAM, match.programs)
        glob(AFW_MATCH_HOST, match.hosts)
        for ports in match.ports {
            var matcher = afw_table_matcher()
            matcher.key = UInt8(AFW_MATCH_PORT.rawValue)
            matcher.port_low = ports.lowerBound
            matcher.port_high = ports.upperBound
            matchers.append(matcher)
        }
        for block in match.addresses {
            var matcher = afw_table_matcher()
            matcher.key = UInt8(AFW_MATCH_ADDRESS.rawValue)
            matcher.family = block.address.family
            matcher.prefix_length = block.prefixLength
            withUnsafeMutableBytes(of: &matcher.address) { $0.copyBytes(from: block.address.abiBytes) }
            matchers.append(matcher)
        }
        return matchers
    }

    /// Interns a string: identical ids, reasons and globs share one copy in the pool.
    private mutating func string(_ text: String) -> UInt32 {
        if let offset = offsets[text] { return offset }
        let offset = UInt32(pool.count)
        pool += text.utf8
        pool.append(0)
        offsets[text] = offset
        return offset
    }
}
