import AgentFirewallPolicy
import AgentFirewallOS
import CInterposeCore
import Glibc

/// Finds the file COMMAND names, the way execvp does, so that the supervisor can decide
/// the very file it will then start (it spawns that path; it never searches again).
public enum ProgramSearch {
    public enum Failure: Error, Equatable {
        /// Nothing by that name (the shell's exit status 127).
        case notFound
        /// Found, but not an executable file (the shell's exit status 126).
        case notExecutable(String)
    }

    /// glibc's execvp searches this when PATH is unset.
    public static let defaultSearchPath = "/bin:/usr/bin"

    /// Returns the absolute, lexically normalised path of the program.
    public static func resolve(_ name: String, searchPath: String?, workingDirectory: String) -> Result<String, Failure> {
        if name.isEmpty { return .failure(.notFound) }
        if name.contains("/") {
            guard let path = absolute(name, workingDirectory: workingDirectory) else { return .failure(.notFound) }
            return FileSystem.isExecutableFile(path) ? .success(path) : .failure(
                FileSystem.exists(path) ? .notExecutable(path) : .notFound)
        }
        var firstNotExecutable: String?
        // An empty PATH entry means the current directory, as in execvp.
        for directory in (searchPath ?? defaultSearchPath).split(separator: ":", omittingEmptySubsequences: false) {
            guard let candidate = absolute((directory.isEmpty ? "." : String(directory)) + "/" + name,
                                           workingDirectory: workingDirectory) else { continue }
            if FileSystem.isExecutableFile(candidate) { return .success(candidate) }
            if firstNotExecutable == nil, FileSystem.exists(candidate) { firstNotExecutable = candidate }
        }
        return .failure(firstNotExecutable.map { .notExecutable($0) } ?? .notFound)
    }

    /// nil when the result would not fit PATH_MAX, which execve would refuse anyway.
    private static func absolute(_ path: String, workingDirectory: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard afw_path_lexical(workingDirectory, path, &buffer, buffer.count) == AFW_OK else { return nil }
        return String(nulTerminated: buffer)
    }
}
