import AgentFirewallOS
import Glibc

/// Where the control sockets of a user's runs live: `$XDG_RUNTIME_DIR/agentfirewall/` when
/// that is set, else `/tmp/agentfirewall-UID/`; one private directory per run below it, named
/// after the run (the supervisor's pid), holding `control.sock`.
///
/// Whoever can connect to a run's socket can allow what the policy wanted a person to see,
/// so every directory on the way is checked, not trusted: in /tmp another user could have
/// made ours first, or put a symlink in its place.
public enum ApprovalsDirectory {
    public static let socketName = "control.sock"

    /// The user's directory, created (mode 0700) when missing. Throws when it is not a
    /// directory of ours that only we can enter.
    public static func user(
        create: Bool, runtimeDirectory: String? = CurrentProcess.environmentValue("XDG_RUNTIME_DIR")
    ) throws(SupervisorError) -> String {
        let path: String
        // A relative XDG_RUNTIME_DIR is invalid (XDG Base Directory spec): ignored, as the spec says.
        if let runtime = runtimeDirectory, runtime.hasPrefix("/") {
            path = runtime + "/agentfirewall"
        } else {
            path = "/tmp/agentfirewall-\(getuid())"
        }
        if create { try makePrivateDirectory(path) } else { try checkPrivate(path) }
        return path
    }

    /// The private directory of run `run` in `user`, created (mode 0700) when missing.
    public static func run(_ run: String, in user: String) throws(SupervisorError) -> String {
        let path = user + "/" + run
        try makePrivateDirectory(path)
        return path
    }

    /// The runs whose directories exist in `user`, by name.
    public static func runs(in user: String) -> [String] {
        guard let directory = opendir(user) else { return [] }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { bytes in
                String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted { (Int($0) ?? 0, $0) < (Int($1) ?? 0, $1) }
    }

    private static func makePrivateDirectory(_ path: String) throws(SupervisorError) {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw SupervisorError(.system, "cannot create \(path): \(String(cString: strerror(errno)))")
        }
        try checkPrivate(path)
    }

    /// lstat, not stat: a symlink planted where the directory should be is refused, not followed.
    private static func checkPrivate(_ path: String) throws(SupervisorError) {
        var status = stat()
        guard lstat(path, &status) == 0 else {
            throw SupervisorError(.system, "cannot use \(path): \(String(cString: strerror(errno)))")
        }
        guard status.st_mode & S_IFMT == S_IFDIR, status.st_uid == getuid() else {
            throw SupervisorError(.system, "\(path) is not a directory owned by you (uid \(getuid())); remove it, or set XDG_RUNTIME_DIR to a private directory")
        }
        guard status.st_mode & 0o077 == 0 else {
            throw SupervisorError(.system, "\(path) is open to other users (mode \(String(status.st_mode & 0o777, radix: 8))); chmod 700 it")
        }
    }
}
