/// A loaded, checked policy: every glob validated, every `~` and `./` expanded, every example
/// proven, and the `extends` chain flattened. A `Policy` value only comes from `load` or
/// `parse`, so whatever holds one holds a policy the compiler can turn into a table.
public struct Policy: Sendable {
    public let name: String
    /// After `extends`: this file's rules first, then the parent's, so the first match wins
    /// and a child can make an exception to a rule it inherits.
    public let rules: [Rule]
    /// One action per surface, always all three.
    public let defaults: [Surface: Action]
    public let auditAllowed: AuditAllowed
    /// The file path as given, or "builtin:NAME".
    public let sourcePath: String

    /// What a surface falls back to when neither the policy nor anything it extends sets it.
    /// Files and exec allow: a policy lists what it stops, and an agent that cannot open its
    /// own source tree or run `git` is useless. The network asks: a call out is where data
    /// leaves the machine, and SPEC's own example sets `network: review`.
    public static let unsetDefaults: [Surface: Action] = [.file: .allow, .exec: .allow, .network: .review]

    init(name: String, rules: [Rule], defaults: [Surface: Action], auditAllowed: AuditAllowed, sourcePath: String) {
        self.name = name
        self.rules = rules
        self.defaults = defaults
        self.auditAllowed = auditAllowed
        self.sourcePath = sourcePath
    }

    public func defaultAction(for surface: Surface) -> Action {
        defaults[surface] ?? Policy.unsetDefaults[surface]!
    }
}

public struct Rule: Sendable {
    /// Dotted lowercase, unique across the whole `extends` chain.
    public let id: String
    public let surface: Surface
    public let action: Action
    /// Shown to the agent with every block and written to the audit; "" when the rule has none.
    public let reason: String
    public let match: Match
    /// Where the rule's `id` is written, for messages about the rule.
    public let location: PolicyLocation
}

/// A rule's match. Every non-empty key must match (AND); any entry of a key may match (OR).
public struct Match: Sendable, Equatable {
    /// FILE: path globs with `~` and `./` already expanded, so they start with '/' or '**'.
    public var paths: [String] = []
    /// FILE: the accesses the rule is about; empty means any.
    public var access: FileAccess = []
    /// EXEC: globs on the command line (TEXT mode: '*' crosses '/').
    public var commands: [String] = []
    /// EXEC: globs on the program's basename, or its full path when the glob has a '/'.
    public var programs: [String] = []
    /// NETWORK: globs on the resolved host name, case-insensitive.
    public var hosts: [String] = []
    public var ports: [ClosedRange<UInt16>] = []
    public var addresses: [AddressBlock] = []

    public init() {}
}

/// A CIDR block; host bits beyond the prefix are already masked off.
public struct AddressBlock: Sendable, Hashable, CustomStringConvertible {
    public let address: IPAddress
    public let prefixLength: UInt8

    public var description: String { "\(address)/\(prefixLength)" }
}
