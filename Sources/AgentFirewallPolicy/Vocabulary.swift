import CAgentFirewallABI

/// What kind of call a rule or an event is about. Raw values are the YAML spelling.
public enum Surface: String, Sendable, CaseIterable, Codable {
    case file, exec, network

    /// The afw_surface value the compiled table and the event records use.
    public var abiValue: UInt8 {
        switch self {
        case .file: UInt8(AFW_SURFACE_FILE.rawValue)
        case .exec: UInt8(AFW_SURFACE_EXEC.rawValue)
        case .network: UInt8(AFW_SURFACE_NETWORK.rawValue)
        }
    }

    /// nil for a value that is not an afw_surface (records come from memory the agent can write).
    public init?(abiValue: UInt8) {
        guard let surface = Surface.allCases.first(where: { $0.abiValue == abiValue }) else { return nil }
        self = surface
    }
}

/// What a rule does with a call it matches. `log` allows and records.
public enum Action: String, Sendable, CaseIterable, Codable {
    case allow, block, review, log

    public var abiValue: UInt8 {
        switch self {
        case .allow: UInt8(AFW_ACTION_ALLOW.rawValue)
        case .block: UInt8(AFW_ACTION_BLOCK.rawValue)
        case .review: UInt8(AFW_ACTION_REVIEW.rawValue)
        case .log: UInt8(AFW_ACTION_LOG.rawValue)
        }
    }

    public init?(abiValue: UInt8) {
        guard let action = Action.allCases.first(where: { $0.abiValue == abiValue }) else { return nil }
        self = action
    }
}

/// File access bits; raw values are the afw_access bits, so a mask crosses the ABI unchanged.
public struct FileAccess: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    public static let read = FileAccess(rawValue: UInt8(AFW_ACCESS_READ.rawValue))
    public static let write = FileAccess(rawValue: UInt8(AFW_ACCESS_WRITE.rawValue))
    public static let create = FileAccess(rawValue: UInt8(AFW_ACCESS_CREATE.rawValue))
    public static let exec = FileAccess(rawValue: UInt8(AFW_ACCESS_EXEC.rawValue))

    /// The YAML spellings, in the order messages list them.
    public static let names: [(name: String, access: FileAccess)] = [
        ("read", .read), ("write", .write), ("create", .create), ("exec", .exec),
    ]

    /// The YAML spellings of the bits that are set, e.g. ["read", "write"].
    public var names: [String] { FileAccess.names.filter { contains($0.access) }.map(\.name) }
}

/// How the audit records fast-path allows: one line each, or only a count in the summary.
public enum AuditAllowed: String, Sendable, CaseIterable {
    case list, count
}
