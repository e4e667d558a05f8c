/// Byte-level reading of one JSON text: the grammar of RFC 8259, without building values it
/// is not asked for. `AuditLine` drives it; Foundation's JSONDecoder would build a dictionary
/// of boxed values per line, which is what keeps it from reading half a million lines a second.
struct JSONScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    /// Nesting deeper than this in a skipped value is refused: a hostile line of '[' must not
    /// run the reader out of stack.
    static let maximumDepth = 64

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    var atEnd: Bool { index >= bytes.count }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"), UInt8(ascii: "\n"): index += 1
            default: return
            }
        }
    }

    /// Consumes `byte` (after whitespace) or fails saying what was expected.
    mutating func expect(_ byte: UInt8, _ what: String) throws(AuditLineProblem) {
        skipWhitespace()
        guard current == byte else { throw unexpected(what) }
        index += 1
    }

    /// Consumes `byte` (after whitespace) when it is next.
    mutating func take(_ byte: UInt8) -> Bool {
        skipWhitespace()
        guard current == byte else { return false }
        index += 1
        return true
    }

    func unexpected(_ expected: String) -> AuditLineProblem {
        let found: String
        if let byte = current {
            found = (0x21..<0x7F).contains(byte) ? "'\(Character(Unicode.Scalar(byte)))'" : String(hexByte: byte)
        } else {
            found = "the end of the line"
        }
        return AuditLineProblem(.syntax, "expected \(expected) at column \(index + 1), found \(found)")
    }

    /// Decodes the string that starts here (at its '"') onto `output`, escapes resolved, and
    /// returns the number of bytes appended. Lone surrogates become U+FFFD, as the writer
    /// turns invalid bytes into U+FFFD.
    mutating func decodeString(into output: inout [UInt8]) throws(AuditLineProblem) -> Int {
        try expect(UInt8(ascii: "\""), "a string")
        let before = output.count
        while true {
            var runEnd = index
            while runEnd < bytes.count {
                let byte = bytes[runEnd]
                if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || byte < 0x20 { break }
                runEnd += 1
            }
            if runEnd > index {
                output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[index..<runEnd]))
                index = runEnd
            }
            guard let byte = current else {
                throw AuditLineProblem(.syntax, "a string is not closed before the end of the line")
            }
            index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return output.count - before
            case UInt8(ascii: "\\"):
                try decodeEscape(into: &output)
            default:
                throw AuditLineProblem(.syntax, "a raw control character (\(String(hexByte: byte))) in a string at column \(index); JSON escapes it")
            }
        }
    }

    /// Skips a string without decoding it (an unknown key's value).
    mutating func skipString() throws(AuditLineProblem) {
        try expect(UInt8(ascii: "\""), "a string")
        while let byte = current {
            index += 1
            if byte == UInt8(ascii: "\"") { return }
            if byte == UInt8(ascii: "\\") { index += 1 }
        }
        throw AuditLineProblem(.syntax, "a string is not closed before the end of the line")
    }

    private mutating func decodeEscape(into output: inout [UInt8]) throws(AuditLineProblem) {
        guard let escape = current else {
            throw AuditLineProblem(.syntax, "a string is not closed before the end of the line")
        }
        index += 1
        switch escape {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): output.append(escape)
        case UInt8(ascii: "b"): output.append(0x08)
        case UInt8(ascii: "f"): output.append(0x0C)
        case UInt8(ascii: "n"): output.append(0x0A)
        case UInt8(ascii: "r"): output.append(0x0D)
        case UInt8(ascii: "t"): output.append(0x09)
        case UInt8(ascii: "u"):
            var scalar = try hexQuad()
            if (0xD800..<0xDC00).contains(scalar) {
                // A high surrogate counts only with the low one that must follow it.
                if index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let mark = index
                    index += 2
                    let low = try hexQuad()
                    if (0xDC00..<0xE000).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        index = mark
                        scalar = 0xFFFD
                    }
                } else {
                    scalar = 0xFFFD
                }
            } else if (0xDC00..<0xE000).contains(scalar) {
                scalar = 0xFFFD
            }
            guard scalar != 0 else {
                throw AuditLineProblem(.badRecord, "a string holds \\u0000 at column \(index - 5); no path, argument or name can contain a NUL")
            }
            output.append(contentsOf: String(Character(Unicode.Scalar(scalar)!)).utf8)
        default:
            throw AuditLineProblem(.syntax, "'\\\(Character(Unicode.Scalar(escape)))' at column \(index - 1) is no JSON escape")
        }
    }

    private mutating func hexQuad() throws(AuditLineProblem) -> UInt32 {
        guard index + 4 <= bytes.count else {
            throw AuditLineProblem(.syntax, "\\u needs four hex digits at column \(index + 1)")
        }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw AuditLineProblem(.syntax, "\\u needs four hex digits at column \(index + 1)")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// A whole number: '-'? digits, no fraction or exponent (every integer field of the audit
    /// is a count, an id or nanoseconds). nil when the value here is a number that is not whole.
    mutating func integer() throws(AuditLineProblem) -> Int64? {
        skipWhitespace()
        let negative = take(UInt8(ascii: "-"))
        var value: Int64 = 0
        var digits = 0
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
            let (shifted, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = shifted.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else {
                throw AuditLineProblem(.badRecord, "a number at column \(index + 1) is too large")
            }
            value = sum
            digits += 1
            index += 1
        }
        guard digits > 0 else { throw unexpected("a number") }
        if let byte = current, byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            skipNumberRest()
            return nil
        }
        return negative ? -value : value
    }

    mutating func skipNumberRest() {
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
            || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E")
            || byte == UInt8(ascii: "+") || byte == UInt8(ascii: "-")
        {
            index += 1
        }
    }

    /// Consumes `true`, `false` or `null` when one is next.
    mutating func literal(_ word: StaticString) -> Bool {
        skipWhitespace()
        let length = word.utf8CodeUnitCount
        guard index + length <= bytes.count else { return false }
        for offset in 0..<length where bytes[index + offset] != word.utf8Start[offset] {
            return false
        }
        index += length
        return true
    }

    /// Skips any JSON value.
    mutating func skipValue(depth: Int = 0) throws(AuditLineProblem) {
        guard depth < JSONScanner.maximumDepth else {
            throw AuditLineProblem(.syntax, "values nested deeper than \(JSONScanner.maximumDepth) levels")
        }
        skipWhitespace()
        switch current {
        case UInt8(ascii: "\""):
            try skipString()
        case UInt8(ascii: "{"):
            index += 1
            if take(UInt8(ascii: "}")) { return }
            repeat {
                try skipString()
                try expect(UInt8(ascii: ":"), "':'")
                try skipValue(depth: depth + 1)
            } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "}"), "',' or '}'")
        case UInt8(ascii: "["):
            index += 1
            if take(UInt8(ascii: "]")) { return }
            repeat {
                try skipValue(depth: depth + 1)
            } while take(UInt8(ascii: ","))
            try expect(UInt8(ascii: "]"), "',' or ']'")
        case UInt8(ascii: "-")?, (UInt8(ascii: "0")...UInt8(ascii: "9"))?:
            index += 1
            skipNumberRest()
        default:
            guard literal("true") || literal("false") || literal("null") else { throw unexpected("a value") }
        }
    }
}

extension String {
    /// "0x1b": how a byte that cannot be shown is named in a message.
    init(hexByte byte: UInt8) {
        let hex = Array("0123456789abcdef".utf8)
        self = "0x" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
    }
}
