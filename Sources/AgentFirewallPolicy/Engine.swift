import CAgentFirewallABI
import CInterposeCore

/// The one decider, from Swift: every decision goes through the C afw_table_decide on the
/// compiled table's bytes, the same function on the same bytes as the shim's fast path, so the
/// supervisor, `policy explain` and `replay` cannot disagree with what the shim enforces.
public struct Engine: Sendable {
    public let compiled: CompiledPolicy

    public init(_ compiled: CompiledPolicy) {
        self.compiled = compiled
    }

    public func decide(_ event: Event) -> Decision {
        var strings = CStringArena()
        var view = afw_event_view()
        view.surface = event.surface.abiValue
        var argvOffsets: [Int] = []
        switch event {
        case .file(let path, let requestedPath, let access):
            view.access = access.rawValue
            strings.add(path)
            if let requestedPath { strings.add(requestedPath) }
        case .exec(let program, let argv):
            strings.add(program)
            argvOffsets = argv.map { strings.add($0) }
            view.argc = UInt32(argv.count)
        case .network(let address, let port, let host):
            view.family = address.family
            withUnsafeMutableBytes(of: &view.address) { $0.copyBytes(from: address.abiBytes) }
            view.port = port
            if let host { strings.add(host) }
        }
        return strings.withPointers { pointer in
            let argv = argvOffsets.map { Optional(pointer($0)) }
            switch event {
            case .file(_, let requestedPath, _):
                view.path = pointer(0)
                view.requested_path = requestedPath == nil ? nil : pointer(1)
            case .exec:
                view.program = pointer(0)
            case .network(_, _, let host):
                view.host = host == nil ? nil : pointer(0)
            }
            return argv.withUnsafeBufferPointer { argvPointers in
                view.argv = argvPointers.baseAddress
                return decide(view: &view)
            }
        }
    }

    /// The table's bare answer for an event: its action and rule index, without the rule's
    /// id and reason, for callers that name answers themselves (replay names each distinct
    /// answer once).
    public func answer(view: UnsafePointer<afw_event_view>) -> (action: Action, ruleIndex: Int32) {
        let answer = compiled.table.withUnsafeBytes { table in
            afw_table_decide(table.baseAddress, table.count, view)
        }
        return (Action(abiValue: answer.action) ?? .block, answer.rule_index)
    }

    /// For events decoded from the rings (afw_event_decode) or built by the backstop.
    public func decide(view: UnsafePointer<afw_event_view>) -> Decision {
        let answer = answer(view: view)
        // A record is written by the agent's process: a surface byte that is no surface is
        // blocked (afw_table_decide already said so) and named as what it is.
        guard let surface = Surface(abiValue: view.pointee.surface) else {
            return Decision(action: .block, ruleIndex: Decision.defaultRuleIndex, ruleID: nil,
                            reason: "the event names no known surface (\(view.pointee.surface)); blocked")
        }
        return decision(action: answer.action, ruleIndex: answer.ruleIndex, surface: surface)
    }

    /// Names an answer made elsewhere (the shim's fast path, from its event record): the
    /// rule's id and reason from the table, or the surface default's sentence.
    public func decision(action: Action, ruleIndex: Int32, surface: Surface) -> Decision {
        if ruleIndex == Decision.defaultRuleIndex {
            return .surfaceDefault(action, surface: surface)
        }
        return compiled.table.withUnsafeBytes { table in
            guard let base = table.baseAddress, let rule = afw_table_rule_at(base, table.count, ruleIndex) else {
                return Decision(action: action, ruleIndex: ruleIndex, ruleID: nil,
                                reason: "rule \(ruleIndex) is not in this policy")
            }
            let id = afw_table_string(base, table.count, rule.pointee.id_str).map { String(cString: $0) }
            let reason = afw_table_string(base, table.count, rule.pointee.reason_str).map { String(cString: $0) } ?? ""
            return Decision(action: action, ruleIndex: ruleIndex, ruleID: id, reason: reason)
        }
    }
}

/// NUL-terminated copies of an event's strings in one buffer, so a view can point at them for
/// the duration of one call without an allocation per string.
private struct CStringArena {
    private var bytes: [CChar] = []
    private var starts: [Int] = []

    /// Returns the string's index, for `withPointers`.
    @discardableResult
    mutating func add(_ string: String) -> Int {
        starts.append(bytes.count)
        bytes += string.utf8.map { CChar(bitPattern: $0) }
        bytes.append(0)
        return starts.count - 1
    }

    func withPointers<Result>(_ body: ((Int) -> UnsafePointer<CChar>) -> Result) -> Result {
        bytes.withUnsafeBufferPointer { buffer in
            body { index in buffer.baseAddress! + starts[index] }
        }
    }
}
