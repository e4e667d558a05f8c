import CInterposeCore
import Yams

/// One policy file as written, before its `extends` chain is resolved.
struct PolicyDocument {
    var name: String?
    var extends: (reference: String, location: PolicyLocation)?
    var defaults: [Surface: Action] = [:]
    var auditAllowed: AuditAllowed?
    var rules: [Rule] = []
}

/// Turns the YAML of one policy file into a `PolicyDocument`, checking everything SPEC says is
/// an error and pointing at the node that is wrong. Walks Yams' node tree rather than decoding
/// into Codable types because only the nodes carry line and column.
struct PolicyParser {
    let path: String
    let context: PolicyContext

    private static let topKeys = ["version", "name", "extends", "defaults", "rules", "audit"]
    private static let ruleKeys = ["id", "surface", "match", "action", "reason", "examples"]
    private static let matchKeys: [(key: String, surface: Surface)] = [
        ("path", .file), ("access", .file), ("command", .exec), ("program", .exec),
        ("host", .network), ("port", .network), ("address", .network),
    ]

    func parse(_ yaml: String) throws(PolicyError) -> PolicyDocument {
        guard let root = try compose(yaml) else {
            throw PolicyError(.version, path: path, line: 1, column: 1,
                              message: "the policy is empty; it needs at least 'version: 1'")
        }
        guard case .mapping(let top) = root else {
            throw self.error(.wrongType, at: root, "a policy is a mapping with the keys \(Self.list(Self.topKeys)); found \(describe(root))")
        }

        var document = PolicyDocument()
        var sawVersion = false
        for (keyNode, value) in top {
            let key = try keyName(keyNode)
            switch key {
            case "version":
                guard value.scalar?.string == "1" else {
                    throw error(.version, at: value, "version must be 1, the only policy format there is; found \(describe(value))")
                }
                sawVersion = true
            case "name":
                document.name = try text(value, of: "name")
            case "extends":
                document.extends = (try text(value, of: "extends"), location(value))
            case "defaults":
                document.defaults = try defaults(value)
            case "rules":
                document.rules = try rules(value)
            case "audit":
                document.auditAllowed = try audit(value)
            default:
                throw error(.unknownKey, at: keyNode, "unknown key '\(key)'; a policy has \(Self.list(Self.topKeys))")
            }
        }
        guard sawVersion else {
            throw error(.version, at: root, "the policy has no 'version: 1'; add it as the first line")
        }
        return document
    }

    // MARK: - Sections

    private func defaults(_ node: Node) throws(PolicyError) -> [Surface: Action] {
        var defaults: [Surface: Action] = [:]
        for (keyNode, value) in try mapping(node, of: "defaults") {
            let key = try keyName(keyNode)
            guard let surface = Surface(rawValue: key) else {
                throw error(.unknownValue, at: keyNode, "unknown surface '\(key)' in defaults; expected \(Self.list(Surface.allCases.map(\.rawValue)))")
            }
            defaults[surface] = try action(value)
        }
        return defaults
    }

    private func audit(_ node: Node) throws(PolicyError) -> AuditAllowed {
        var allowed = AuditAllowed.list
        for (keyNode, value) in try mapping(node, of: "audit") {
            let key = try keyName(keyNode)
            guard key == "allowed" else {
                throw error(.unknownKey, at: keyNode, "unknown key '\(key)' in audit; the only one is 'allowed'")
            }
            let mode = try text(value, of: "audit.allowed")
            guard let parsed = AuditAllowed(rawValue: mode) else {
                throw error(.unknownValue, at: value, "audit.allowed is '\(mode)'; expected \(Self.list(AuditAllowed.allCases.map(\.rawValue)))")
            }
            allowed = parsed
        }
        return allowed
    }

    private func rules(_ node: Node) throws(PolicyError) -> [Rule] {
        guard case .sequence(let entries) = node else {
            throw error(.wrongType, at: node, "'rules' must be a list of rules (write 'rules: []' for none); found \(describe(node))")
        }
        var rules: [Rule] = []
        var seen: [String: PolicyLocation] = [:]
        for entry in entries {
            let rule = try self.rule(entry)
            if let first = seen[rule.id] {
                throw PolicyError(.duplicateID, at: rule.location, message: "duplicate rule id '\(rule.id)'; it is first used at \(first)")
            }
            seen[rule.id] = rule.location
            rules.append(rule)
        }
        return rules
    }

    // MARK: - Rules

    private func rule(_ node: Node) throws(PolicyError) -> Rule {
        let fields = try mapping(node, of: "a rule")
        var values: [String: (key: Node, value: Node)] = [:]
        for (keyNode, value) in fields {
            let key = try keyName(keyNode)
            guard Self.ruleKeys.contains(key) else {
                throw error(.unknownKey, at: keyNode, "unknown key '\(key)' in a rule; a rule has \(Self.list(Self.ruleKeys))")
            }
            values[key] = (keyNode, value)
        }
        guard let idNode = values["id"]?.value else {
            throw error(.missingKey, at: node, "this rule has no 'id'; give it a unique dotted name such as secrets.dotenv")
        }
        let id = try text(idNode, of: "id")
        guard Self.isValidID(id) else {
            throw error(.badID, at: idNode, "rule id '\(id)' must be dotted lowercase words of a-z, 0-9, '_' and '-', such as secrets.dotenv")
        }
        guard let surfaceNode = values["surface"]?.value else {
            throw error(.missingKey, at: node, "rule '\(id)' has no 'surface'; expected \(Self.list(Surface.allCases.map(\.rawValue)))")
        }
        let surfaceName = try text(surfaceNode, of: "surface")
        guard let surface = Surface(rawValue: surfaceName) else {
            throw error(.unknownValue, at: surfaceNode, "unknown surface '\(surfaceName)'; expected \(Self.list(Surface.allCases.map(\.rawValue)))")
        }
        guard let actionNode = values["action"]?.value else {
            throw error(.missingKey, at: node, "rule '\(id)' has no 'action'; expected \(Self.list(Action.allCases.map(\.rawValue)))")
        }
        let action = try self.action(actionNode)
        guard let matchNode = values["match"]?.value else {
            throw error(.missingKey, at: node, "rule '\(id)' has no 'match'")
        }
        let match = try self.match(matchNode, surface: surface)
        let reason = try values["reason"].map { entry throws(PolicyError) in try text(entry.value, of: "reason") } ?? ""

        let rule = Rule(id: id, surface: surface, action: action, reason: reason, match: match, location: location(idNode))
        if let examples = values["examples"]?.value {
            try checkExamples(examples, of: rule)
        }
        return rule
    }

    private func action(_ node: Node) throws(PolicyError) -> Action {
        let name = try text(node, of: "action")
        guard let action = Action(rawValue: name) else {
            throw error(.unknownValue, at: node, "unknown action '\(name)'; expected \(Self.list(Action.allCases.map(\.rawValue)))")
        }
        return action
    }

    static func isValidID(_ id: String) -> Bool {
        let words = id.split(separator: ".", omittingEmptySubsequences: false)
        return words.allSatisfy { word in
            !word.isEmpty && word.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
            }
        }
    }

    // MARK: - Match

    private func match(_ node: Node, surface: Surface) throws(PolicyError) -> Match {
        var match = Match()
        let keysOfSurface = Self.matchKeys.filter { $0.surface == surface }.map(\.key)
        for (keyNode, value) in try mapping(node, of: "match") {
            let key = try keyName(keyNode)
            guard let owner = Self.matchKeys.first(where: { $0.key == key })?.surface else {
                throw error(.unknownKey, at: keyNode, "unknown match key '\(key)'; \(Self.article(surface)) \(surface.rawValue) rule matches \(Self.list(keysOfSurface))")
            }
            guard owner == surface else {
                throw error(.keyNotForSurface, at: keyNode, "'\(key)' belongs in \(Self.article(owner)) \(owner.rawValue) rule; \(Self.article(surface)) \(surface.rawValue) rule matches \(Self.list(keysOfSurface))")
            }
            let entries = try self.entries(value, of: key)
            for entry in entries {
                switch key {
                case "path": match.paths.append(try pathGlob(entry))
                case "access": match.access.formUnion(try access(entry))
                case "command":
                    let written = try glob(entry, mode: AFW_GLOB_TEXT, of: "command")
                    match.commands.append(written)
                    // A shell expands `~` before it execs, so the command the shim sees (say,
                    // Python's subprocess.run(["rm", "-rf", "/home/dev"])) holds the home path.
                    if let expanded = context.expandTildeWords(written), expanded != written {
                        match.commands.append(expanded)
                    }
                case "program": match.programs.append(try glob(entry, mode: AFW_GLOB_TEXT, of: "program"))
                case "host": match.hosts.append(try glob(entry, mode: AFW_GLOB_HOST, of: "host"))
                case "port": match.ports.append(try port(entry))
                default: match.addresses.append(try addressBlock(entry))
                }
            }
        }
        switch surface {
        case .file where match.paths.isEmpty:
            throw error(.emptyMatch, at: node, "a file rule's match needs 'path' (use \"/**\" for every file)")
        case .exec where match.commands.isEmpty && match.programs.isEmpty:
            throw error(.emptyMatch, at: node, "an exec rule's match needs 'command' or 'program'")
        case .network where match.hosts.isEmpty && match.ports.isEmpty && match.addresses.isEmpty:
            throw error(.emptyMatch, at: node, "a network rule's match needs 'host', 'port' or 'address'")
        default:
            return match
        }
    }

    /// A list of scalars; a single scalar is taken as a one-entry list (`access: read`).
    func entries(_ node: Node, of key: String) throws(PolicyError) -> [Node] {
        let entries: [Node]
        switch node {
        case .sequence(let sequence): entries = Array(sequence)
        case .scalar where isNull(node):
            throw error(.wrongType, at: node, "'\(key)' has no value; give one entry or a list of them")
        case .scalar: entries = [node]
        default:
            throw error(.wrongType, at: node, "'\(key)' must be a list of strings; found \(describe(node))")
        }
        guard !entries.isEmpty else {
            throw error(.emptyMatch, at: node, "'\(key)' is an empty list, which would match nothing; remove it or add entries")
        }
        return entries
    }

    private func pathGlob(_ node: Node) throws(PolicyError) -> String {
        let written = try text(node, of: "a path glob")
        let expanded: String
        switch context.expandPathGlob(written) {
        case .success(let glob): expanded = glob
        case .failure(let problem): throw error(.badGlob, at: node, problem.message)
        }
        return try validated(expanded, written: written, mode: AFW_GLOB_PATH, at: node)
    }

    private func glob(_ node: Node, mode: afw_glob_mode, of what: String) throws(PolicyError) -> String {
        let written = try text(node, of: "a \(what) glob")
        return try validated(written, written: written, mode: mode, at: node)
    }

    private func validated(_ glob: String, written: String, mode: afw_glob_mode, at node: Node) throws(PolicyError) -> String {
        var problem: UnsafePointer<CChar>?
        var offset = 0
        guard afw_glob_validate(glob, Int32(mode.rawValue), &problem, &offset) == AFW_OK else {
            let reason = problem.map { String(cString: $0) } ?? "invalid"
            let shown = glob == written ? "'\(written)'" : "'\(written)' (expanded to '\(glob)')"
            throw error(.badGlob, at: node, "bad glob \(shown): \(reason) at character \(offset + 1)")
        }
        return glob
    }

    private func access(_ node: Node) throws(PolicyError) -> FileAccess {
        let name = try text(node, of: "access")
        guard let access = FileAccess.names.first(where: { $0.name == name })?.access else {
            throw error(.unknownValue, at: node, "unknown access '\(name)'; expected \(Self.list(FileAccess.names.map(\.name)))")
        }
        return access
    }

    private func port(_ node: Node) throws(PolicyError) -> ClosedRange<UInt16> {
        let written = try text(node, of: "port")
        let bounds = written.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map { UInt16($0) }
        guard bounds.count <= 2, let low = bounds.first ?? nil, let high = bounds.last ?? nil, low >= 1, low <= high else {
            throw error(.badPort, at: node, "bad port '\(written)'; expected a number in 1...65535 or a range such as 8000-8999")
        }
        return low...high
    }

    private func addressBlock(_ node: Node) throws(PolicyError) -> AddressBlock {
        let written = try text(node, of: "address")
        var family: UInt8 = 0
        var bytes = [UInt8](repeating: 0, count: 16)
        var prefixLength: UInt8 = 0
        guard afw_cidr_parse(written, &family, &bytes, &prefixLength) == AFW_OK else {
            throw error(.badCIDR, at: node, "bad address '\(written)'; expected an address or CIDR block such as 10.0.0.0/8 or ::1/128")
        }
        return AddressBlock(address: IPAddress(family: family, bytes: bytes), prefixLength: prefixLength)
    }

    // MARK: - Examples

    /// Runs each example through the C evaluator with a table that holds only this rule, so an
    /// example proves what the shim will do, not what a second matcher thinks it would do.
    private func checkExamples(_ node: Node, of rule: Rule) throws(PolicyError) {
        let engine = Engine(CompiledPolicy(rules: [rule], name: rule.id, defaults: [:], auditAllowed: .list))
        for (keyNode, value) in try mapping(node, of: "examples") {
            let key = try keyName(keyNode)
            guard key == "match" || key == "not_match" else {
                throw error(.unknownKey, at: keyNode, "unknown key '\(key)' in examples; expected match or not_match")
            }
            let shouldMatch = key == "match"
            for entry in try entries(value, of: key) {
                let example = try text(entry, of: "an example")
                let event = try exampleEvent(example, for: rule, at: entry)
                let matched = engine.decide(event).ruleIndex == 0
                if matched != shouldMatch {
                    let verdict = shouldMatch ? "does not match its example" : "matches its not_match example"
                    throw error(.exampleMiss, at: entry, "rule '\(rule.id)' \(verdict) '\(example)'")
                }
            }
        }
    }

    /// File examples are paths (with `~` and `./` expanded, accessed the way the rule names);
    /// exec examples are command lines (see `execEvent`); network examples are HOST,
    /// HOST:PORT, ADDRESS or [V6]:PORT, the port defaulting to the rule's first.
    private func exampleEvent(_ example: String, for rule: Rule, at node: Node) throws(PolicyError) -> Event {
        switch rule.surface {
        case .file:
            guard let path = context.expandPath(example) else {
                throw error(.badExample, at: node, "example '\(example)' must be an absolute path, or start with ~/ or ./")
            }
            return .file(path: path, requestedPath: nil, access: rule.match.access.isEmpty ? .read : rule.match.access)
        case .exec:
            return Self.execEvent(commandLine: example)
        case .network:
            guard case let (subject, writtenPort)? = Self.splitHostPort(example) else {
                throw error(.badExample, at: node, "example '\(example)' must be HOST, HOST:PORT, ADDRESS or [V6]:PORT")
            }
            let port = writtenPort ?? rule.match.ports.first?.lowerBound ?? 0
            if let address = IPAddress(subject) {
                return .network(address: address, port: port, host: nil)
            }
            return .network(address: IPAddress(family: 4, bytes: [0, 0, 0, 0]), port: port, host: subject)
        }
    }

    /// A line with shell syntax (pipes, lists, redirections, expansions, quotes) runs as
    /// `sh -c LINE`, the way agents run pipelines; a plain one runs as its words, the way a
    /// program is exec'd directly, so that a program allowlist is tested against the program
    /// and not against the shell.
    static func execEvent(commandLine: String) -> Event {
        let shellSyntax = Set("|&;<>()$`'\"\\\n*?[]{}~")
        let words = commandLine.split(separator: " ").map(String.init)
        guard !commandLine.contains(where: shellSyntax.contains), let first = words.first else {
            return .exec(program: "/bin/sh", argv: ["sh", "-c", commandLine])
        }
        return .exec(program: first.hasPrefix("/") ? first : "/usr/bin/" + first, argv: words)
    }

    static func splitHostPort(_ text: String) -> (String, UInt16?)? {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            let address = String(text[text.index(after: text.startIndex)..<close])
            let rest = text[text.index(after: close)...]
            if rest.isEmpty { return (address, nil) }
            guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()) else { return nil }
            return (address, port)
        }
        if IPAddress(text) != nil { return (text, nil) }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        switch parts.count {
        case 1: return text.isEmpty ? nil : (text, nil)
        case 2:
            guard !parts[0].isEmpty, let port = UInt16(parts[1]) else { return nil }
            return (String(parts[0]), port)
        default: return nil
        }
    }

    // MARK: - Node helpers

    func location(_ node: Node) -> PolicyLocation {
        PolicyLocation(path: path, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    func error(_ code: PolicyError.Code, at node: Node, _ message: String) -> PolicyError {
        PolicyError(code, at: location(node), message: message)
    }

    /// The YAML's node tree, nil for an empty document; a syntax error names its line.
    func compose(_ yaml: String) throws(PolicyError) -> Node? {
        do {
            // The basic resolver: this parser reads every scalar as its text, so the default
            // resolver's tags (bool, int, timestamp...) would go unused, and building it
            // compiles a dozen regular expressions at every start of `run`.
            return try Yams.compose(yaml: yaml, .basic)
        } catch let error as YamlError {
            throw syntaxError(error, yaml: yaml)
        } catch {
            throw PolicyError(.syntax, path: path, line: 1, column: 1, message: "\(error)")
        }
    }

    func keyName(_ node: Node) throws(PolicyError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error(.wrongType, at: node, "a key must be a plain word; found \(describe(node))")
        }
        return scalar.string
    }

    func mapping(_ node: Node, of what: String) throws(PolicyError) -> Node.Mapping {
        guard case .mapping(let mapping) = node else {
            throw error(.wrongType, at: node, "\(what) must be a mapping of keys to values; found \(describe(node))")
        }
        return mapping
    }

    /// A non-empty string. YAML's plain scalars of numbers and booleans count: they are text too.
    func text(_ node: Node, of what: String) throws(PolicyError) -> String {
        guard case .scalar(let scalar) = node else {
            throw error(.wrongType, at: node, "\(what) must be a string; found \(describe(node))")
        }
        guard !scalar.string.isEmpty else {
            throw error(.wrongType, at: node, "\(what) is empty")
        }
        // The table stores NUL-terminated strings: a NUL would silently cut a glob short.
        guard !scalar.string.utf8.contains(0) else {
            throw error(.wrongType, at: node, "\(what) contains a NUL character")
        }
        return scalar.string
    }

    func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.style == .plain && scalar.string.isEmpty
    }

    func describe(_ node: Node) -> String {
        switch node {
        case .mapping: "a mapping"
        case .sequence: "a list"
        case .alias: "an alias"
        case .scalar where isNull(node): "nothing"
        case .scalar(let scalar): "'\(scalar.string)'"
        }
    }

    private static func article(_ surface: Surface) -> String {
        surface == .exec ? "an" : "a"
    }

    static func list(_ words: [String]) -> String {
        guard words.count > 1 else { return words.first ?? "" }
        return words.dropLast().joined(separator: ", ") + " or " + words.last!
    }

    private func syntaxError(_ error: YamlError, yaml: String) -> PolicyError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let while_ = context.map { " (\($0.text))" } ?? ""
            return PolicyError(.syntax, path: path, line: mark.line, column: mark.column, message: "invalid YAML: \(problem)\(while_)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "'\($0)'" }.joined(separator: ", ")
            return PolicyError(.syntax, path: path, line: context.mark.line, column: context.mark.column,
                               message: "key \(keys) is written more than once in this mapping")
        case .reader(let problem, let offset, _, _):
            let prefix = yaml.prefix(offset ?? 0)
            let line = prefix.count(where: { $0 == "\n" }) + 1
            let column = prefix.count - (prefix.lastIndex(of: "\n").map { prefix.distance(from: prefix.startIndex, to: $0) + 1 } ?? 0) + 1
            return PolicyError(.syntax, path: path, line: line, column: column, message: "unreadable YAML: \(problem)")
        default:
            return PolicyError(.syntax, path: path, line: 1, column: 1, message: "invalid YAML: \(error)")
        }
    }
}
