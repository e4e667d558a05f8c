/// Why an audit file cannot be read: the file, the 1-based line when one line is at fault, and
/// what is wrong. `replay` and `audit` exit 2 on it (SPEC: "2 on a bad file").
public struct AuditError: Error, CustomStringConvertible, Sendable, Equatable {
    public struct Code: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// open or read failed.
        public static let unreadable = Code(rawValue: "unreadable")
        /// Not one JSON object on the line.
        public static let syntax = Code(rawValue: "syntax")
        /// Well-formed JSON that is no audit record: a field missing, of the wrong type or
        /// outside its vocabulary.
        public static let badRecord = Code(rawValue: "bad-record")
        /// The lines do not form one run: a gap in `seq`, a summary before the end, a summary
        /// that counts other events than the file holds.
        public static let inconsistent = Code(rawValue: "inconsistent")
    }

    public let code: Code
    public let path: String
    /// 1-based; nil when the file as a whole is at fault.
    public let line: Int?
    public let message: String

    public init(_ code: Code, path: String, line: Int?, message: String) {
        self.code = code
        self.path = path
        self.line = line
        self.message = message
    }

    /// `AUDIT:LINE: error: what is wrong`, the shape compilers use, so editors jump to it.
    public var description: String {
        if let line { return "\(path):\(line): error: \(message)" }
        return "\(path): error: \(message)"
    }
}

/// What is wrong with one line, before the reader adds the file and the line number.
public struct AuditLineProblem: Error, Sendable, Equatable {
    public let code: AuditError.Code
    public let message: String

    public init(_ code: AuditError.Code, _ message: String) {
        self.code = code
        self.message = message
    }
}
