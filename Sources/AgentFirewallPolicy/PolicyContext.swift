import Foundation

/// What `~` and a leading `./` in path globs expand to: the home of the user who ran
/// agentfirewall and the working directory `run` started in. The audit summary records both,
/// so that `replay` can rebuild the very table the run enforced.
public struct PolicyContext: Sendable, Equatable {
    public var home: String
    public var workingDirectory: String

    public init(home: String, workingDirectory: String) {
        self.home = home
        self.workingDirectory = workingDirectory
    }

    /// $HOME, or the password database's home when $HOME is unset or not absolute (a daemon or
    /// `env -i` launch), and the current directory.
    public static func current() -> PolicyContext {
        PolicyContext(home: currentHome(), workingDirectory: FileManager.default.currentDirectoryPath)
    }

    private static func currentHome() -> String {
        if let home = ProcessInfo.processInfo.environment["HOME"], home.hasPrefix("/") {
            return home
        }
        if let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir {
            return String(cString: directory)
        }
        return "/"
    }
}

/// Why a path glob cannot be anchored.
struct PathGlobProblem: Error {
    let message: String
}

extension PolicyContext {
    /// Anchors a path glob: `~` and `~/...` become the home, `.` and `./...` the working
    /// directory. Anything else must already be anchored (start with '/' or '**'): a bare
    /// `.env` would otherwise match nothing, because the shim only ever sees absolute paths,
    /// and a rule that silently matches nothing is the worst kind of firewall rule.
    func expandPathGlob(_ glob: String) -> Result<String, PathGlobProblem> {
        if let expanded = expand(glob, base: { Self.escapingGlobCharacters($0) }) {
            return .success(expanded)
        }
        if glob.hasPrefix("/") || glob.hasPrefix("**") {
            return .success(glob)
        }
        if glob.hasPrefix("~") {
            return .failure(PathGlobProblem(message: "'\(glob)': only ~ and ~/ are expanded (to the home of the user running agentfirewall); write an absolute path for another user's home"))
        }
        return .failure(PathGlobProblem(message: "path glob '\(glob)' is not anchored; write **/\(glob) to match it anywhere, ./\(glob) for the working directory, or an absolute path"))
    }

    /// A command glob with every word-initial `~` (followed by the end, a space or a '/')
    /// replaced by the home directory, or nil when it has none.
    func expandTildeWords(_ glob: String) -> String? {
        let characters = Array(glob)
        let base = home.hasSuffix("/") ? String(home.dropLast()) : home
        var result = ""
        var replaced = false
        for (index, character) in characters.enumerated() {
            let startsWord = index == 0 || characters[index - 1] == " "
            let next = index + 1 < characters.count ? characters[index + 1] : " "
            if character == "~", startsWord, next == " " || next == "/" {
                result += Self.escapingGlobCharacters(base.isEmpty ? "/" : base)
                replaced = true
            } else {
                result.append(character)
            }
        }
        return replaced ? result : nil
    }

    /// A literal path (an example, a test case) with `~` and `./` expanded; nil unless it
    /// ends up absolute.
    public func expandPath(_ path: String) -> String? {
        if let expanded = expand(path, base: { $0 }) { return expanded }
        return path.hasPrefix("/") ? path : nil
    }

    private func expand(_ text: String, base transform: (String) -> String) -> String? {
        let prefixes: [(written: String, directory: String)] = [("~", home), (".", workingDirectory)]
        for (written, directory) in prefixes {
            // "/" as home or cwd must not turn "~/x" into "//x".
            let base = directory.hasSuffix("/") ? String(directory.dropLast()) : directory
            if text == written { return base.isEmpty ? "/" : transform(base) }
            if text.hasPrefix(written + "/") { return transform(base) + text.dropFirst(written.count) }
        }
        return nil
    }

    /// A home such as /home/a[1] must match itself, not the class [1].
    private static func escapingGlobCharacters(_ text: String) -> String {
        var escaped = ""
        for character in text {
            if "*?[]\\".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        return escaped
    }
}
