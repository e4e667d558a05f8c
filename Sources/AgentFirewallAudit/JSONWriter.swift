/// Builds one JSON object on one line, for the machine-readable outputs (`replay --json`,
/// `audit summary --format json`, `audit export`). Its strings come from audit lines, which
/// the agent's calls filled: every control character is escaped, so no output line can be
/// split into two or carry a terminal escape sequence.
public struct JSONWriter {
    public private(set) var text = "{"
    private var needsComma = false

    public init() {}

    public mutating func field(_ name: String, _ value: String) {
        key(name)
        JSONWriter.appendString(value, to: &text)
    }

    public mutating func field(_ name: String, _ value: String?) {
        if let value { field(name, value) } else { field(name, raw: "null") }
    }

    public mutating func field(_ name: String, _ value: some BinaryInteger) {
        field(name, raw: String(value))
    }

    public mutating func field(_ name: String, _ value: Bool) {
        field(name, raw: value ? "true" : "false")
    }

    public mutating func field(_ name: String, _ values: [String]) {
        key(name)
        text += "["
        for (index, value) in values.enumerated() {
            if index > 0 { text += "," }
            JSONWriter.appendString(value, to: &text)
        }
        text += "]"
    }

    /// A nested object or a list built elsewhere (`object` / `list`).
    public mutating func field(_ name: String, raw: String) {
        key(name)
        text += raw
    }

    /// The object, closed (no newline).
    public var object: String { text + "}" }

    /// `[a,b,...]` of already-encoded values.
    public static func list(_ encoded: [String]) -> String {
        "[" + encoded.joined(separator: ",") + "]"
    }

    private mutating func key(_ name: String) {
        if needsComma { text += "," }
        needsComma = true
        JSONWriter.appendString(name, to: &text)
        text += ":"
    }

    static func appendString(_ value: String, to output: inout String) {
        output += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{00}"..."\u{1F}", "\u{7F}"..."\u{9F}", "\u{2028}", "\u{2029}":
                output += "\\u" + hex4(scalar.value)
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    static func hex4(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}

/// Text of an audit line made safe for a terminal: control characters (ESC starts the
/// sequences that rewrite a screen or a window title) are shown as `\u{1b}`, never sent.
public func terminalSafe(_ text: String) -> String {
    guard text.unicodeScalars.contains(where: isControl) else { return text }
    var safe = ""
    for scalar in text.unicodeScalars {
        if isControl(scalar) {
            safe += "\\u{" + String(scalar.value, radix: 16) + "}"
        } else {
            safe.unicodeScalars.append(scalar)
        }
    }
    return safe
}

private func isControl(_ scalar: Unicode.Scalar) -> Bool {
    scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
}
