/// The keys of an audit line that the readers understand (SPEC.md, "Audit record"; written by
/// the supervisor's AuditWriter). Other keys are skipped, so a newer writer's additions do not
/// make an older reader refuse the file.
enum AuditField: Int, CaseIterable {
    case seq, time, pid, ppid, exe, surface, op, access, subject, requested, program, host, address, port
    case decision, rule, reason, outcome, answeredBy, mode, path, latency, truncated, staticBinary
    case summary, events, dropped, malformed, allowedCounted, policy, policySource, cwd, home, exitStatus

    var name: String {
        switch self {
        case .answeredBy: "answered_by"
        case .latency: "latency_ns"
        case .staticBinary: "static_binary"
        case .allowedCounted: "allowed_counted"
        case .policySource: "policy_source"
        case .exitStatus: "exit_status"
        default: String(describing: self)
        }
    }

    /// Names grouped by length, so a key is compared with the few names of its length only.
    private static let byLength: [[(name: [UInt8], field: AuditField)]] = {
        var table = [[(name: [UInt8], field: AuditField)]](repeating: [], count: 32)
        for field in AuditField.allCases {
            let name = Array(field.name.utf8)
            table[name.count].append((name, field))
        }
        return table
    }()

    init?(key: UnsafeBufferPointer<UInt8>) {
        guard key.count < AuditField.byLength.count else { return nil }
        for candidate in AuditField.byLength[key.count] where candidate.name.elementsEqual(key) {
            self = candidate.field
            return
        }
        return nil
    }
}
