import AgentFirewallPolicy
import Glibc

extension AuditLine {
    /// Parses one line (without its newline) and checks it is an event record or a summary
    /// that replay can use. Unknown keys are skipped; a known key of the wrong type, a key
    /// given twice, or a value outside its vocabulary is an error, since replay must not
    /// guess what a damaged record meant.
    public mutating func parse(_ line: UnsafeBufferPointer<UInt8>) throws(AuditLineProblem) {
        text.removeAll(keepingCapacity: true)
        listItems.removeAll(keepingCapacity: true)
        values.withUnsafeMutableBufferPointer { $0.update(repeating: .absent) }
        var scanner = JSONScanner(line)
        try scanner.expect(UInt8(ascii: "{"), "'{' (each line is one JSON object)")
        if !scanner.take(UInt8(ascii: "}")) {
            repeat {
                let field = try key(&scanner)
                try scanner.expect(UInt8(ascii: ":"), "':' after a key")
                guard let field else {
                    try scanner.skipValue()
                    continue
                }
                if case .absent = values[field.rawValue] {} else {
                    throw AuditLineProblem(.badRecord, "\"\(field.name)\" appears twice")
                }
                values[field.rawValue] = try value(&scanner, field)
            } while scanner.take(UInt8(ascii: ","))
            try scanner.expect(UInt8(ascii: "}"), "',' or '}'")
        }
        scanner.skipWhitespace()
        guard scanner.atEnd else { throw scanner.unexpected("the end of the line after the object") }
        try check()
    }

    /// The field a key names, nil for a key this reader does not know.
    private mutating func key(_ scanner: inout JSONScanner) throws(AuditLineProblem) -> AuditField? {
        scanner.skipWhitespace()
        let start = scanner.index + 1
        // Keys are plain ASCII as the writer writes them; one with escapes is decoded first.
        var plainEnd = start
        while plainEnd < scanner.bytes.count, scanner.bytes[plainEnd] != UInt8(ascii: "\""),
              scanner.bytes[plainEnd] != UInt8(ascii: "\\")
        {
            plainEnd += 1
        }
        if scanner.current == UInt8(ascii: "\""), plainEnd < scanner.bytes.count, scanner.bytes[plainEnd] == UInt8(ascii: "\"") {
            scanner.index = plainEnd + 1
            return AuditField(key: UnsafeBufferPointer(rebasing: scanner.bytes[start..<plainEnd]))
        }
        keyScratch.removeAll(keepingCapacity: true)
        _ = try scanner.decodeString(into: &keyScratch)
        return keyScratch.withUnsafeBufferPointer { AuditField(key: $0) }
    }

    private mutating func value(_ scanner: inout JSONScanner, _ field: AuditField) throws(AuditLineProblem) -> Value {
        scanner.skipWhitespace()
        switch scanner.current {
        case UInt8(ascii: "\""):
            if undecoded[field.rawValue] {
                try scanner.skipString()
                return .string(emptyText())
            }
            return .string(try decodedString(&scanner))
        case UInt8(ascii: "["):
            scanner.index += 1
            let first = listItems.count
            if !scanner.take(UInt8(ascii: "]")) {
                repeat {
                    scanner.skipWhitespace()
                    guard scanner.current == UInt8(ascii: "\"") else {
                        throw AuditLineProblem(.badRecord, "\"\(field.name)\" must be a list of strings")
                    }
                    listItems.append(try decodedString(&scanner))
                } while scanner.take(UInt8(ascii: ","))
                try scanner.expect(UInt8(ascii: "]"), "',' or ']'")
            }
            return .strings(first: first, count: listItems.count - first)
        case UInt8(ascii: "-")?, (UInt8(ascii: "0")...UInt8(ascii: "9"))?:
            return try scanner.integer().map(Value.integer) ?? .fraction
        case UInt8(ascii: "{"):
            throw AuditLineProblem(.badRecord, "\"\(field.name)\" must not be an object")
        default:
            if scanner.literal("true") { return .bool(true) }
            if scanner.literal("false") { return .bool(false) }
            if scanner.literal("null") { return .null }
            throw scanner.unexpected("a value for \"\(field.name)\"")
        }
    }

    /// An empty NUL-terminated string in `text`, for a value not decoded.
    private mutating func emptyText() -> TextRange {
        text.append(0)
        return TextRange(start: text.count - 1, count: 0)
    }

    private mutating func decodedString(_ scanner: inout JSONScanner) throws(AuditLineProblem) -> TextRange {
        let start = text.count
        let count = try scanner.decodeString(into: &text)
        text.append(0)
        return TextRange(start: start, count: count)
    }

    // MARK: - What a record must hold

    private mutating func check() throws(AuditLineProblem) {
        if case .bool(true) = values[AuditField.summary.rawValue] {
            kind = .summary
            _ = try requiredInteger(.events, in: 0...Int64.max)
            _ = try requiredInteger(.dropped, in: 0...Int64.max)
            for field in [AuditField.cwd, .home] {
                let path = try requiredString(field)
                guard text[path.start] == UInt8(ascii: "/") else {
                    throw AuditLineProblem(.badRecord, "\"\(field.name)\" must be an absolute path")
                }
            }
            monitor = try mode()
            return
        }
        kind = .event
        sequence = UInt64(try requiredInteger(.seq, in: 1...Int64.max))
        _ = try requiredString(.time)
        pid = Int32(try requiredInteger(.pid, in: Int64(Int32.min)...Int64(Int32.max)))
        parentPID = try optionalInteger(.ppid, in: Int64(Int32.min)...Int64(Int32.max)).map { Int32($0) }
        _ = try requiredString(.op)
        _ = try requiredString(.reason)
        surface = try word(.surface, AuditLine.surfaces)
        action = try word(.decision, AuditLine.actions)
        reviewOutcome = try optionalWord(.outcome, AuditLine.actions)
        ruleRange = try stringOrNull(.rule, required: true)
        monitor = try mode()
        truncated = try flag(.truncated)
        staticBinary = try flag(.staticBinary)
        switch surface {
        case .file:
            subjectRange = try requiredString(.subject, as: "the resolved path")
            requestedRange = try stringOrNull(.requested, required: false)
            access = try fileAccess()
        case .exec:
            guard case .strings(let first, let count) = values[AuditField.subject.rawValue] else {
                throw missingOrWrong(.subject, "argv, a list of strings")
            }
            arguments = (first, count)
            programRange = try requiredString(.program, as: "the program's absolute path")
        case .network:
            subjectRange = try requiredString(.subject, as: "host:port")
            port = UInt16(try requiredInteger(.port, in: 0...65535))
            hostRange = try stringOrNull(.host, required: false)
            let address = try requiredString(.address, as: "an IP address")
            try parseAddress(address)
        }
    }

    private func missingOrWrong(_ field: AuditField, _ expected: String) -> AuditLineProblem {
        if case .absent = values[field.rawValue] {
            return AuditLineProblem(.badRecord, "\"\(field.name)\" is missing")
        }
        return AuditLineProblem(.badRecord, "\"\(field.name)\" must be \(expected)")
    }

    private func requiredString(_ field: AuditField, as expected: String = "a string") throws(AuditLineProblem) -> TextRange {
        guard case .string(let range) = values[field.rawValue] else { throw missingOrWrong(field, expected) }
        return range
    }

    private func stringOrNull(_ field: AuditField, required: Bool) throws(AuditLineProblem) -> TextRange? {
        switch values[field.rawValue] {
        case .string(let range): return range
        case .null: return nil
        case .absent where !required: return nil
        default: throw missingOrWrong(field, "a string or null")
        }
    }

    private func requiredInteger(_ field: AuditField, in range: ClosedRange<Int64>) throws(AuditLineProblem) -> Int64 {
        guard let value = try optionalInteger(field, in: range) else { throw missingOrWrong(field, "a whole number") }
        return value
    }

    private func optionalInteger(_ field: AuditField, in range: ClosedRange<Int64>) throws(AuditLineProblem) -> Int64? {
        switch values[field.rawValue] {
        case .absent: return nil
        case .integer(let value):
            guard range.contains(value) else {
                throw AuditLineProblem(.badRecord, "\"\(field.name)\" is \(value); it must be in \(range.lowerBound)...\(range.upperBound)")
            }
            return value
        default: throw missingOrWrong(field, "a whole number")
        }
    }

    private func flag(_ field: AuditField) throws(AuditLineProblem) -> Bool {
        switch values[field.rawValue] {
        case .absent: return false
        case .bool(let value): return value
        default: throw missingOrWrong(field, "true or false")
        }
    }

    private func mode() throws(AuditLineProblem) -> Bool {
        guard case .absent = values[AuditField.mode.rawValue] else {
            return try word(.mode, AuditLine.modes)
        }
        return false
    }

    private static let surfaces = Surface.allCases.map { (Array($0.rawValue.utf8), $0) }
    private static let actions = Action.allCases.map { (Array($0.rawValue.utf8), $0) }
    private static let modes = [(Array("enforce".utf8), false), (Array("monitor".utf8), true)]
    private static let accessNames = FileAccess.names.map { (Array($0.name.utf8), $0.access) }

    private func word<Value>(_ field: AuditField, _ vocabulary: [([UInt8], Value)]) throws(AuditLineProblem) -> Value {
        guard let value = try optionalWord(field, vocabulary) else { throw missingOrWrong(field, "a string") }
        return value
    }

    private func optionalWord<Value>(_ field: AuditField, _ vocabulary: [([UInt8], Value)]) throws(AuditLineProblem) -> Value? {
        switch values[field.rawValue] {
        case .absent: return nil
        case .string(let range):
            let bytes = text[range.start..<(range.start + range.count)]
            for (name, value) in vocabulary where name.elementsEqual(bytes) { return value }
            let names = vocabulary.map { String(decoding: $0.0, as: UTF8.self) }.joined(separator: ", ")
            throw AuditLineProblem(.badRecord, "\"\(field.name)\" is \"\(string(range))\"; it must be one of \(names)")
        default: throw missingOrWrong(field, "a string")
        }
    }

    /// "read,write" -> [.read, .write]; "" is no access bit, as the writer writes an empty mask.
    private func fileAccess() throws(AuditLineProblem) -> FileAccess {
        let range = try requiredString(.access, as: "the access names, e.g. \"read,write\"")
        var access: FileAccess = []
        for name in text[range.start..<(range.start + range.count)].split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard let match = AuditLine.accessNames.first(where: { $0.0.elementsEqual(name) }) else {
                if range.count == 0 { break }
                throw AuditLineProblem(.badRecord, "\"access\" is \"\(string(range))\"; it lists read, write, create or exec, comma-separated")
            }
            access.insert(match.1)
        }
        return access
    }

    private mutating func parseAddress(_ range: TextRange) throws(AuditLineProblem) {
        let parsed: Bool = text.withUnsafeBufferPointer { buffer in
            let address = UnsafeRawPointer(buffer.baseAddress! + range.start).assumingMemoryBound(to: CChar.self)
            var v4 = in_addr()
            if inet_pton(AF_INET, address, &v4) == 1 {
                addressFamily = 4
                addressBytes = in6_addr()
                withUnsafeMutableBytes(of: &addressBytes) { target in
                    withUnsafeBytes(of: v4) { target.copyBytes(from: $0) }
                }
                return true
            }
            if inet_pton(AF_INET6, address, &addressBytes) == 1 {
                addressFamily = 6
                return true
            }
            return false
        }
        guard parsed else {
            throw AuditLineProblem(.badRecord, "\"address\" is \"\(string(range))\"; it must be an IPv4 or IPv6 address")
        }
    }
}
