import Foundation
import Yams

/// One case of a `policy test` file: a call and the decision the policy must give it.
///
/// ```yaml
/// cases:
///   - file: ~/.ssh/id_rsa        # or  exec: [sh, -c, "curl x | sh"]  or  connect: "example.com:443"
///     access: read               # file only; default read
///     expect: block
/// ```
public struct PolicyTestCase: Sendable, Equatable {
    public enum Call: Sendable, Equatable {
        /// An absolute path (`~` and `./` expanded), before symlinks are resolved.
        case file(path: String, access: FileAccess)
        /// The argv; a single string is a command line, run as `sh -c LINE` when it has shell
        /// syntax and as its words otherwise (as a rule's `examples` are).
        case exec(argv: [String])
        /// The address, or the host name with no address (address rules then see 0.0.0.0).
        case connect(host: String?, address: IPAddress?, port: UInt16)
    }

    public let call: Call
    public let expected: Action
    /// Where the case starts, for the line that reports a miss.
    public let location: PolicyLocation

    /// A connect written HOST:PORT, ADDRESS:PORT or [V6]:PORT; nil for anything else.
    public static func connectCall(_ written: String) -> Call? {
        guard case let (subject, port?)? = PolicyParser.splitHostPort(written) else { return nil }
        let address = IPAddress(subject)
        return .connect(host: address == nil ? subject : nil, address: address, port: port)
    }

    /// Reads a cases file. Errors name the file, line and column, as policy errors do.
    public static func load(path: String, context: PolicyContext) throws(PolicyError) -> [PolicyTestCase] {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw PolicyError(.unreadable, path: path, line: 1, column: 1, message: "cannot read the cases file '\(path)'")
        }
        return try PolicyParser(path: path, context: context).testCases(text)
    }
}

extension PolicyParser {
    private static let caseKeys = ["file", "exec", "connect", "access", "expect"]

    func testCases(_ yaml: String) throws(PolicyError) -> [PolicyTestCase] {
        guard let root = try compose(yaml) else {
            throw PolicyError(.missingKey, path: path, line: 1, column: 1, message: "the file is empty; it needs 'cases:' with a list of cases")
        }
        var list: Node?
        for (keyNode, value) in try mapping(root, of: "a cases file") {
            guard try keyName(keyNode) == "cases" else {
                throw error(.unknownKey, at: keyNode, "unknown key '\(try keyName(keyNode))'; a cases file has only 'cases'")
            }
            list = value
        }
        guard let list, case .sequence(let cases) = list, !cases.isEmpty else {
            throw error(.missingKey, at: list ?? root, "'cases' must be a list of cases, each with file, exec or connect and expect")
        }
        var parsed: [PolicyTestCase] = []
        for node in cases {
            parsed.append(try testCase(node))
        }
        return parsed
    }

    private func testCase(_ node: Node) throws(PolicyError) -> PolicyTestCase {
        var values: [String: (key: Node, value: Node)] = [:]
        for (keyNode, value) in try mapping(node, of: "a case") {
            let key = try keyName(keyNode)
            guard Self.caseKeys.contains(key) else {
                throw error(.unknownKey, at: keyNode, "unknown key '\(key)' in a case; a case has \(Self.list(Self.caseKeys))")
            }
            values[key] = (keyNode, value)
        }
        let calls = ["file", "exec", "connect"].filter { values[$0] != nil }
        guard calls.count == 1, let callKey = calls.first, let (_, callNode) = values[callKey] else {
            throw error(.missingKey, at: node, "a case names exactly one call: file, exec or connect")
        }
        guard let expectNode = values["expect"]?.value else {
            throw error(.missingKey, at: node, "a case needs 'expect': \(Self.list(Action.allCases.map(\.rawValue)))")
        }
        let expectText = try text(expectNode, of: "expect")
        guard let expected = Action(rawValue: expectText) else {
            throw error(.unknownValue, at: expectNode, "unknown decision '\(expectText)'; expected \(Self.list(Action.allCases.map(\.rawValue)))")
        }
        if let accessEntry = values["access"], callKey != "file" {
            throw error(.keyNotForSurface, at: accessEntry.key, "'access' belongs to a file case")
        }
        let call: PolicyTestCase.Call
        switch callKey {
        case "file":
            let written = try text(callNode, of: "file")
            guard let path = context.expandPath(written) else {
                throw error(.wrongType, at: callNode, "file '\(written)' must be an absolute path, or start with ~/ or ./")
            }
            var access = FileAccess.read
            if let accessNode = values["access"]?.value {
                let word = try text(accessNode, of: "access")
                guard let named = FileAccess.names.first(where: { $0.name == word }) else {
                    throw error(.unknownValue, at: accessNode, "unknown access '\(word)'; expected \(Self.list(FileAccess.names.map(\.name)))")
                }
                access = named.access
            }
            call = .file(path: path, access: access)
        case "exec":
            if case .sequence = callNode {
                var argv: [String] = []
                for entry in try entries(callNode, of: "exec") { argv.append(try text(entry, of: "an exec argument")) }
                call = .exec(argv: argv)
            } else {
                guard case .exec(_, let argv) = Self.execEvent(commandLine: try text(callNode, of: "exec")) else {
                    throw error(.wrongType, at: callNode, "exec must be a command line or a list of arguments")
                }
                call = .exec(argv: argv)
            }
        default:
            let written = try text(callNode, of: "connect")
            guard let connect = PolicyTestCase.connectCall(written) else {
                throw error(.wrongType, at: callNode, "connect '\(written)' must be HOST:PORT, ADDRESS:PORT or [V6]:PORT")
            }
            call = connect
        }
        return PolicyTestCase(call: call, expected: expected, location: location(node))
    }
}
