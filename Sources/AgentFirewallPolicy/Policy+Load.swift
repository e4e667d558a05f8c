import Foundation

extension Policy {
    /// Loads a built-in pack (a NAME: no '/', no .yaml/.yml suffix) or a YAML file, with its
    /// whole `extends` chain.
    public static func load(_ nameOrPath: String, context: PolicyContext) throws(PolicyError) -> Policy {
        let source = PolicySource(reference: nameOrPath)
        let text: String
        switch source.read() {
        case .success(let contents): text = contents
        case .failure(let problem):
            throw PolicyError(.unreadable, path: nameOrPath, line: 1, column: 1, message: problem.message)
        }
        return try PolicyLoader(context: context).load(source, text: text, chain: [])
    }

    /// Parses policy text that came from somewhere other than `load` (a test, a CLI that read
    /// it). `path` names it in messages and anchors relative `extends` paths; "builtin:NAME"
    /// makes it a pack.
    public static func parse(yaml: String, path: String, context: PolicyContext) throws(PolicyError) -> Policy {
        let source: PolicySource = path.hasPrefix(PolicySource.builtinPrefix)
            ? .builtin(String(path.dropFirst(PolicySource.builtinPrefix.count))) : .file(path)
        return try PolicyLoader(context: context).load(source, text: yaml, chain: [])
    }
}

/// Where a policy's text comes from.
enum PolicySource: Equatable {
    case builtin(String)
    case file(String)

    static let builtinPrefix = "builtin:"

    init(reference: String) {
        let isPackName = !reference.contains("/") && !reference.hasSuffix(".yaml") && !reference.hasSuffix(".yml")
        self = isPackName ? .builtin(reference) : .file(reference)
    }

    var displayPath: String {
        switch self {
        case .builtin(let name): Self.builtinPrefix + name
        case .file(let path): path
        }
    }

    /// The same file reached by two spellings (`./a.yaml`, `../x/a.yaml`, a symlink) must be
    /// recognised as the same, or a cycle through it would never be noticed.
    var identity: String {
        switch self {
        case .builtin: displayPath
        case .file(let path): URL(fileURLWithPath: path).standardizedFileURL.resolvingSymlinksInPath().path
        }
    }

    /// The name a policy gets when it does not set one: the pack name or the file's base name.
    var fallbackName: String {
        switch self {
        case .builtin(let name): name
        case .file(let path): URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        }
    }

    struct ReadProblem: Error {
        let message: String
    }

    func read() -> Result<String, ReadProblem> {
        switch self {
        case .builtin(let name):
            guard let text = BuiltinPacks.source(named: name) else {
                let packs = BuiltinPacks.names.joined(separator: ", ")
                return .failure(ReadProblem(message: "there is no built-in pack '\(name)' (the packs are \(packs)); a file path needs a '/' or a .yaml suffix"))
            }
            return .success(text)
        case .file(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                var isDirectory: ObjCBool = false
                let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
                let why = !exists ? "no such file" : isDirectory.boolValue ? "it is a directory" : "permission denied"
                return .failure(ReadProblem(message: "cannot read policy file '\(path)': \(why)"))
            }
            guard let text = String(data: data, encoding: .utf8) else {
                return .failure(ReadProblem(message: "policy file '\(path)' is not UTF-8 text"))
            }
            return .success(text)
        }
    }

    /// What an `extends` written in this source refers to: a pack name, or a path relative to
    /// this file's directory.
    func resolve(extends reference: String) -> Result<PolicySource, ReadProblem> {
        switch (self, PolicySource(reference: reference)) {
        case (_, .builtin(let name)):
            return .success(.builtin(name))
        case (.builtin, .file):
            return .failure(ReadProblem(message: "a built-in pack can only extend another built-in pack, not '\(reference)'"))
        case (.file(let path), .file(let target)):
            if target.hasPrefix("/") { return .success(.file(target)) }
            let relative = target.hasPrefix("./") ? String(target.dropFirst(2)) : target
            guard let slash = path.lastIndex(of: "/") else { return .success(.file(relative)) }
            return .success(.file(path[...slash] + relative))
        }
    }
}

/// Flattens an `extends` chain: the child's rules, then the parent's (less those the child
/// redefines by id); the child's defaults
/// override the parent's surface by surface; the child's audit setting, else the parent's.
struct PolicyLoader {
    let context: PolicyContext

    func load(_ source: PolicySource, text: String, chain: [PolicySource]) throws(PolicyError) -> Policy {
        let document = try PolicyParser(path: source.displayPath, context: context).parse(text)
        var rules = document.rules
        var defaults = document.defaults
        var auditAllowed = document.auditAllowed

        if case let (reference, location)? = document.extends {
            let parent = try loadParent(reference, at: location, of: source, chain: chain)
            // A rule that reuses a parent's id replaces the parent's rule: that is how a policy
            // tightens or loosens one rule of a pack (SPEC's own example redefines
            // secrets.dotenv on top of `extends: default`) without copying the rest.
            let mine = Set(rules.map(\.id))
            rules += parent.rules.filter { !mine.contains($0.id) }
            defaults = parent.defaults.merging(defaults) { _, mine in mine }
            auditAllowed = auditAllowed ?? parent.auditAllowed
        }

        return Policy(name: document.name ?? source.fallbackName, rules: rules,
                      defaults: Policy.unsetDefaults.merging(defaults) { _, set in set },
                      auditAllowed: auditAllowed ?? .list, sourcePath: source.displayPath)
    }

    private func loadParent(_ reference: String, at location: PolicyLocation, of source: PolicySource,
                            chain: [PolicySource]) throws(PolicyError) -> Policy {
        let parent: PolicySource
        switch source.resolve(extends: reference) {
        case .success(let resolved): parent = resolved
        case .failure(let problem): throw PolicyError(.extendsNotFound, at: location, message: problem.message)
        }
        let visited = chain + [source]
        if visited.contains(where: { $0.identity == parent.identity }) {
            let names = (visited + [parent]).map(\.displayPath).joined(separator: " -> ")
            throw PolicyError(.extendsCycle, at: location, message: "extends cycle: \(names)")
        }
        let text: String
        switch parent.read() {
        case .success(let contents): text = contents
        case .failure(let problem): throw PolicyError(.extendsNotFound, at: location, message: problem.message)
        }
        return try load(parent, text: text, chain: visited)
    }
}
