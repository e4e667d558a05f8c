import CAgentFirewallABI
import CInterposeCore

/// Builds compiled-table bytes the way agentfirewall_abi.h lays them out, so TableTests can
/// write exactly the table a case needs, and then break it field by field.
struct TableFixture {
    enum Matcher {
        case path(String)
        case command(String)
        case program(String)
        case host(String)
        case port(UInt16, UInt16)
        case address(String)
    }

    struct Rule {
        var id: String
        var surface: afw_surface
        var action: afw_action
        var access: UInt8 = 0
        var matchers: [Matcher]
    }

    var name = "fixture"
    var fileDefault = AFW_ACTION_ALLOW
    var execDefault = AFW_ACTION_ALLOW
    var networkDefault = AFW_ACTION_ALLOW
    var rules: [Rule] = []

    /// The table's parts before assembly, for tests that corrupt one of them.
    struct Parts {
        var header = afw_table_header()
        var rules: [afw_table_rule] = []
        var matchers: [afw_table_matcher] = []
        var pool: [UInt8] = [0]

        /// Appends a string to the pool and keeps the header's sizes in step with it.
        mutating func string(_ text: String) -> UInt32 {
            let offset = UInt32(pool.count)
            pool += text.utf8
            pool.append(0)
            header.strings_size = UInt32(pool.count)
            header.total_size = header.strings_offset + header.strings_size
            return offset
        }

        /// Header, rules, matchers and pool back to back; the header's offsets are left as
        /// they are, so a test can make them lie.
        func bytes() -> [UInt8] {
            var table: [UInt8] = []
            withUnsafeBytes(of: header) { table += $0 }
            for rule in rules { withUnsafeBytes(of: rule) { table += $0 } }
            for matcher in matchers { withUnsafeBytes(of: matcher) { table += $0 } }
            return table + pool
        }
    }

    func parts() -> Parts {
        var parts = Parts()
        for rule in rules {
            var entry = afw_table_rule()
            entry.surface = UInt8(rule.surface.rawValue)
            entry.action = UInt8(rule.action.rawValue)
            entry.access_mask = rule.access
            entry.id_str = parts.string(rule.id)
            entry.reason_str = parts.string("reason of \(rule.id)")
            entry.first_matcher = UInt32(parts.matchers.count)
            entry.matcher_count = UInt32(rule.matchers.count)
            for matcher in rule.matchers {
                parts.matchers.append(Self.matcher(matcher, pool: &parts))
            }
            parts.rules.append(entry)
        }
        var header = afw_table_header()
        header.magic = AFW_TABLE_MAGIC
        header.version = AFW_TABLE_VERSION
        header.name_str = parts.string(name)
        header.defaults = (0, UInt8(fileDefault.rawValue), UInt8(execDefault.rawValue), UInt8(networkDefault.rawValue))
        header.rule_count = UInt32(parts.rules.count)
        header.rules_offset = UInt32(MemoryLayout<afw_table_header>.size)
        header.matcher_count = UInt32(parts.matchers.count)
        header.matchers_offset = header.rules_offset + UInt32(parts.rules.count * MemoryLayout<afw_table_rule>.size)
        header.strings_offset = header.matchers_offset
            + UInt32(parts.matchers.count * MemoryLayout<afw_table_matcher>.size)
        header.strings_size = UInt32(parts.pool.count)
        header.total_size = header.strings_offset + header.strings_size
        parts.header = header
        return parts
    }

    func bytes() -> [UInt8] {
        parts().bytes()
    }

    private static func matcher(_ matcher: Matcher, pool: inout Parts) -> afw_table_matcher {
        var entry = afw_table_matcher()
        func glob(_ key: afw_match_key, _ text: String) {
            entry.key = UInt8(key.rawValue)
            entry.glob_str = pool.string(text)
        }
        switch matcher {
        case .path(let text): glob(AFW_MATCH_PATH, text)
        case .command(let text): glob(AFW_MATCH_COMMAND, text)
        case .program(let text): glob(AFW_MATCH_PROGRAM, text)
        case .host(let text): glob(AFW_MATCH_HOST, text)
        case .port(let low, let high):
            entry.key = UInt8(AFW_MATCH_PORT.rawValue)
            entry.port_low = low
            entry.port_high = high
        case .address(let cidr):
            entry.key = UInt8(AFW_MATCH_ADDRESS.rawValue)
            var address = [UInt8](repeating: 0, count: 16)
            let parsed = afw_cidr_parse(cidr, &entry.family, &address, &entry.prefix_length)
            precondition(parsed == 0, "fixture CIDR \(cidr) does not parse")
            withUnsafeMutableBytes(of: &entry.address) { $0.copyBytes(from: address) }
        }
        return entry
    }
}
