import Glibc

/// Builds one JSON object on one line, byte by byte.
///
/// Paths and argv are bytes, not text: a file name may be any bytes but '/' and NUL, and the
/// agent chooses them. So strings are escaped from raw bytes: valid UTF-8 is copied, every
/// byte of an invalid sequence becomes U+FFFD, and control characters are escaped, so a
/// hostile name can neither break the line (a raw newline would forge a second record) nor
/// smuggle terminal escape sequences to whoever reads the audit.
struct JSONLine {
    private(set) var bytes: [UInt8] = [UInt8(ascii: "{")]
    private var isFirstField = true

    mutating func field(_ name: StaticString, string: some Collection<UInt8>) {
        key(name)
        JSONLine.appendString(string, to: &bytes)
    }

    mutating func field(_ name: StaticString, string: String) {
        field(name, string: string.utf8)
    }

    mutating func field(_ name: StaticString, optionalString: String?) {
        if let optionalString { field(name, string: optionalString) } else { field(name, literal: "null") }
    }

    mutating func field(_ name: StaticString, strings: [[UInt8]]) {
        key(name)
        bytes.append(UInt8(ascii: "["))
        for (index, string) in strings.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            JSONLine.appendString(string, to: &bytes)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    mutating func field(_ name: StaticString, integer: some BinaryInteger) {
        field(name, literal: String(integer))
    }

    mutating func field(_ name: StaticString, bool: Bool) {
        field(name, literal: bool ? "true" : "false")
    }

    /// The object, closed, with its newline.
    func finished() -> [UInt8] {
        bytes + [UInt8(ascii: "}"), UInt8(ascii: "\n")]
    }

    private mutating func field(_ name: StaticString, literal: String) {
        key(name)
        bytes.append(contentsOf: literal.utf8)
    }

    private mutating func key(_ name: StaticString) {
        if !isFirstField { bytes.append(UInt8(ascii: ",")) }
        isFirstField = false
        name.withUTF8Buffer { JSONLine.appendString($0, to: &bytes) }
        bytes.append(UInt8(ascii: ":"))
    }

    /// Appends `string` as a quoted JSON string.
    static func appendString(_ string: some Collection<UInt8>, to output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        let input = Array(string)
        var index = 0
        while index < input.count {
            let byte = input[index]
            switch byte {
            case UInt8(ascii: "\""): output.append(contentsOf: #"\""#.utf8)
            case UInt8(ascii: "\\"): output.append(contentsOf: #"\\"#.utf8)
            case UInt8(ascii: "\n"): output.append(contentsOf: #"\n"#.utf8)
            case UInt8(ascii: "\r"): output.append(contentsOf: #"\r"#.utf8)
            case UInt8(ascii: "\t"): output.append(contentsOf: #"\t"#.utf8)
            case 0x00..<0x20, 0x7F: appendUnicodeEscape(UInt16(byte), to: &output)
            case 0x20..<0x80: output.append(byte)
            default:
                let length = validUTF8SequenceLength(input, at: index)
                if length == 0 {
                    appendUnicodeEscape(0xFFFD, to: &output)
                    index += 1
                    continue
                }
                output.append(contentsOf: input[index..<(index + length)])
                index += length
                continue
            }
            index += 1
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func appendUnicodeEscape(_ value: UInt16, to output: inout [UInt8]) {
        let hex = Array("0123456789abcdef".utf8)
        output.append(contentsOf: #"\u"#.utf8)
        for shift in stride(from: 12, through: 0, by: -4) {
            output.append(hex[Int((value >> UInt16(shift)) & 0xF)])
        }
    }

    /// Length of the well-formed UTF-8 sequence (Unicode table 3-7) that starts at a
    /// non-ASCII byte, or 0 when it is not one: no overlong forms, no surrogates, nothing
    /// above U+10FFFF, so what we copy is exactly what a strict reader accepts.
    private static func validUTF8SequenceLength(_ bytes: [UInt8], at index: Int) -> Int {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: return 0
        }
        guard index + length <= bytes.count, secondRange.contains(bytes[index + 1]) else { return 0 }
        for offset in 2..<length where !(0x80...0xBF).contains(bytes[index + offset]) {
            return 0
        }
        return length
    }
}

/// RFC 3339 in UTC with microseconds, e.g. "2026-11-25T10:00:00.123456Z".
func rfc3339Microseconds(nanosecondsSinceEpoch: UInt64) -> String {
    var seconds = time_t(nanosecondsSinceEpoch / 1_000_000_000)
    let microseconds = Int(nanosecondsSinceEpoch % 1_000_000_000 / 1_000)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    func padded(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    return "\(padded(Int(parts.tm_year) + 1900, 4))-\(padded(Int(parts.tm_mon) + 1, 2))-\(padded(Int(parts.tm_mday), 2))"
        + "T\(padded(Int(parts.tm_hour), 2)):\(padded(Int(parts.tm_min), 2)):\(padded(Int(parts.tm_sec), 2))"
        + ".\(padded(microseconds, 6))Z"
}
