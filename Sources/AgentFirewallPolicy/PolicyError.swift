/// Why a policy did not load, and where: every error names the file, the 1-based line and
/// column of the offending YAML node, and what to write instead.
public struct PolicyError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The kind of mistake, for callers and tests that react to one kind; the message is for people.
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The file could not be read, or is not UTF-8.
        public static let unreadable = Code(rawValue: "unreadable")
        /// Not well-formed YAML (including a key written twice in one mapping).
        public static let syntax = Code(rawValue: "syntax")
        /// `version` is missing or not 1.
        public static let version = Code(rawValue: "version")
        public static let unknownKey = Code(rawValue: "unknown-key")
        public static let missingKey = Code(rawValue: "missing-key")
        /// A list where a string belongs, a string where a mapping belongs, an empty value.
        public static let wrongType = Code(rawValue: "wrong-type")
        /// A value outside its vocabulary: surface, action, access, audit mode.
        public static let unknownValue = Code(rawValue: "unknown-value")
        public static let badID = Code(rawValue: "bad-id")
        public static let duplicateID = Code(rawValue: "duplicate-id")
        public static let badGlob = Code(rawValue: "bad-glob")
        public static let badCIDR = Code(rawValue: "bad-cidr")
        public static let badPort = Code(rawValue: "bad-port")
        /// A match key that belongs to another surface (a `command` in a file rule).
        public static let keyNotForSurface = Code(rawValue: "key-not-for-surface")
        /// A match without the key that names what the rule is about.
        public static let emptyMatch = Code(rawValue: "empty-match")
        /// An `examples` entry that the rule does not decide the way the example says.
        public static let exampleMiss = Code(rawValue: "example-miss")
        public static let badExample = Code(rawValue: "bad-example")
        /// `extends` names no built-in pack or no readable file.
        public static let extendsNotFound = Code(rawValue: "extends-not-found")
        public static let extendsCycle = Code(rawValue: "extends-cycle")
    }

    public let code: Code
    public let path: String
    public let line: Int
    public let column: Int
    public let message: String

    public init(_ code: Code, path: String, line: Int, column: Int, message: String) {
        self.code = code
        self.path = path
        self.line = line
        self.column = column
        self.message = message
    }

    public init(_ code: Code, at location: PolicyLocation, message: String) {
        self.init(code, path: location.path, line: location.line, column: location.column, message: message)
    }

    /// The compiler-style line that `run` and `policy check` print.
    public var description: String { "\(path):\(line):\(column): error: \(message)" }
}

/// A position in a policy file: the file (or `builtin:NAME`) and the 1-based line and column.
public struct PolicyLocation: Sendable, Hashable, CustomStringConvertible {
    public let path: String
    public let line: Int
    public let column: Int

    public init(path: String, line: Int, column: Int) {
        self.path = path
        self.line = line
        self.column = column
    }

    public var description: String { "\(path):\(line):\(column)" }
}
