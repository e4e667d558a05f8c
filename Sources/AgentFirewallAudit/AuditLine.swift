import AgentFirewallPolicy
import CInterposeCore
import Glibc

/// One line of an audit file, parsed and checked: an event record or the run's summary.
///
/// `parse` reuses the line's storage, so reading a million lines allocates only when a line
/// is longer than the lines before it. Strings are kept as the bytes the record decodes to,
/// NUL-terminated, so that `withEventView` hands the engine pointers into them without a copy.
public struct AuditLine {
    public enum Kind: Sendable, Equatable {
        case event, summary
    }

    /// A decoded string: `count` bytes at `start` in `text`, then a NUL.
    struct TextRange {
        var start: Int
        var count: Int
    }

    enum Value {
        case absent
        case null
        case string(TextRange)
        /// `count` strings of `listItems`, from `first`.
        case strings(first: Int, count: Int)
        case integer(Int64)
        /// A number with a fraction or an exponent.
        case fraction
        case bool(Bool)
    }

    var text: [UInt8] = []
    /// Fields whose string values are checked but not decoded (AuditReader's decisionsOnly):
    /// they read as empty strings.
    var undecoded = [Bool](repeating: false, count: AuditField.allCases.count)
    var listItems: [TextRange] = []
    var values = [Value](repeating: .absent, count: AuditField.allCases.count)
    var keyScratch: [UInt8] = []

    public internal(set) var kind: Kind = .event
    public internal(set) var sequence: UInt64 = 0
    public internal(set) var surface: Surface = .file
    /// The decision the run recorded (for a review, "review"; `reviewOutcome` says what the
    /// call got).
    public internal(set) var action: Action = .block
    public internal(set) var reviewOutcome: Action?
    public internal(set) var access: FileAccess = []
    public internal(set) var pid: Int32 = 0
    public internal(set) var parentPID: Int32?
    public internal(set) var port: UInt16 = 0
    public internal(set) var monitor = false
    /// The shim cut the subject short (it did not fit the record): the line holds less than
    /// what was decided.
    public internal(set) var truncated = false
    public internal(set) var staticBinary = false

    var addressFamily: UInt8 = 4
    var addressBytes = in6_addr()
    var subjectRange = TextRange(start: 0, count: 0)
    var arguments = (first: 0, count: 0)
    var requestedRange: TextRange?
    var programRange = TextRange(start: 0, count: 0)
    var hostRange: TextRange?
    var ruleRange: TextRange?

    public init() {}

    func string(_ range: TextRange) -> String {
        String(decoding: text[range.start..<(range.start + range.count)], as: UTF8.self)
    }

    /// A string field as text, nil when absent or null.
    func string(_ field: AuditField) -> String? {
        guard case .string(let range) = values[field.rawValue] else { return nil }
        return string(range)
    }

    func integer(_ field: AuditField) -> Int64? {
        guard case .integer(let value) = values[field.rawValue] else { return nil }
        return value
    }

    /// The rule that decided, nil for a surface default.
    public var ruleID: String? { ruleRange.map(string) }

    /// Whether the recorded rule is `id` (nil: the surface default), without building a String.
    public func ruleIs(_ id: String?) -> Bool {
        switch (ruleRange, id) {
        case (nil, nil): return true
        case (let range?, let id?):
            return id.utf8.elementsEqual(text[range.start..<(range.start + range.count)])
        default: return false
        }
    }

    public var time: String { string(.time) ?? "" }
    public var executable: String { string(.exe) ?? "" }
    public var operation: String { string(.op) ?? "" }
    public var reason: String { string(.reason) ?? "" }
    /// The decision path: fast, slow or backstop.
    public var decisionPath: String { string(.path) ?? "" }
    public var host: String? { hostRange.map(string) }
    public var address: IPAddress {
        IPAddress(family: addressFamily, bytes: withUnsafeBytes(of: addressBytes) { Array($0) })
    }
    /// FILE: the resolved path. NETWORK: host:port as recorded.
    public var subjectText: String { string(subjectRange) }
    /// FILE: the path as the call named it, when it differs from the resolved one.
    public var requestedPath: String? { requestedRange.map(string) }
    /// EXEC: the program the run judged (absolute, after PATH search).
    public var program: String { string(programRange) }
    /// EXEC: argv.
    public var argv: [String] {
        (arguments.first..<(arguments.first + arguments.count)).map { string(listItems[$0]) }
    }

    /// The subject in one line: a path, `host:port`, or argv joined by spaces.
    public var subjectSummary: String {
        surface == .exec ? argv.joined(separator: " ") : subjectText
    }

    /// The summary line's fields (meaningful when `kind` is `.summary`).
    public var runSummary: AuditRunSummary {
        AuditRunSummary(
            events: UInt64(integer(.events) ?? 0), dropped: UInt64(integer(.dropped) ?? 0),
            malformed: integer(.malformed).map(UInt64.init), allowedCounted: integer(.allowedCounted).map(UInt64.init),
            policyName: string(.policy), policySource: string(.policySource),
            context: PolicyContext(home: string(.home) ?? "/", workingDirectory: string(.cwd) ?? "/"),
            monitor: monitor, exitStatus: integer(.exitStatus).map { Int32(truncatingIfNeeded: $0) })
    }

    /// Appends every byte that `withEventView` puts in the view, and nothing else: two lines
    /// with the same key describe the same event, which afw_table_decide (a pure function of
    /// the table and the event) decides the same way.
    func appendEventKey(to key: inout [UInt8]) {
        key.append(surface.abiValue)
        // A string is a 1, its bytes and its NUL (it holds no other NUL); an absent one is a 0.
        // So the key reads back one way only, and no two events share a key.
        func append(_ range: TextRange?) {
            guard let range else {
                key.append(0)
                return
            }
            key.append(1)
            key.append(contentsOf: text[range.start..<(range.start + range.count + 1)])
        }
        switch surface {
        case .file:
            key.append(access.rawValue)
            append(subjectRange)
            append(requestedRange)
        case .exec:
            append(programRange)
            withUnsafeBytes(of: UInt32(arguments.count)) { key.append(contentsOf: $0) }
            for index in 0..<arguments.count { append(listItems[arguments.first + index]) }
        case .network:
            key.append(addressFamily)
            withUnsafeBytes(of: addressBytes) { key.append(contentsOf: $0) }
            withUnsafeBytes(of: port) { key.append(contentsOf: $0) }
            append(hostRange)
        }
    }

    /// The event exactly as the live run handed it to afw_table_decide: the resolved and the
    /// requested path with the access bits, the judged program with argv, or the address, port
    /// and resolved host name. The pointers live for the duration of `body`.
    public func withEventView<Result>(_ body: (UnsafePointer<afw_event_view>) -> Result) -> Result {
        text.withUnsafeBufferPointer { buffer in
            var view = afw_event_view()
            view.surface = surface.abiValue
            guard let base = UnsafeRawPointer(buffer.baseAddress)?.assumingMemoryBound(to: CChar.self) else {
                return body(&view)
            }
            switch surface {
            case .file:
                view.access = access.rawValue
                view.path = base + subjectRange.start
                view.requested_path = requestedRange.map { base + $0.start }
                return body(&view)
            case .exec:
                // The shim marks every exec event with exec access (check_exec.c).
                view.access = FileAccess.exec.rawValue
                view.program = base + programRange.start
                view.argc = UInt32(arguments.count)
                return withUnsafeTemporaryAllocation(of: UnsafePointer<CChar>?.self, capacity: max(arguments.count, 1)) { argv in
                    for index in 0..<arguments.count {
                        argv[index] = base + listItems[arguments.first + index].start
                    }
                    view.argv = UnsafePointer(argv.baseAddress)
                    return body(&view)
                }
            case .network:
                view.family = addressFamily
                withUnsafeMutableBytes(of: &view.address) { target in
                    withUnsafeBytes(of: addressBytes) { target.copyMemory(from: $0) }
                }
                view.port = port
                view.host = hostRange.map { base + $0.start }
                return body(&view)
            }
        }
    }
}

/// The last line of a finished run (SPEC: `{"summary":true,"events":N,"dropped":D,...}`).
public struct AuditRunSummary: Sendable, Equatable {
    public var events: UInt64
    public var dropped: UInt64
    public var malformed: UInt64?
    /// Fast-path allows that were counted instead of listed: replay cannot re-decide them.
    public var allowedCounted: UInt64?
    public var policyName: String?
    public var policySource: String?
    /// The cwd and home the run's table was compiled for.
    public var context: PolicyContext
    public var monitor: Bool
    public var exitStatus: Int32?
}
