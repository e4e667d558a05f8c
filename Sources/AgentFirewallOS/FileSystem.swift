import Glibc

public enum FileSystem {
    /// A regular file the caller may execute: what execve would accept (a directory with
    /// the x bit, for one, is not).
    public static func isExecutableFile(_ path: String) -> Bool {
        isRegularFile(path) && access(path, X_OK) == 0
    }

    public static func isReadableFile(_ path: String) -> Bool {
        isRegularFile(path) && access(path, R_OK) == 0
    }

    /// Whether anything exists at the path (following symlinks).
    public static func exists(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0
    }

    /// The permission bits (mode & 07777) of a file, following symlinks.
    public static func permissions(_ path: String) throws(OSError) -> mode_t {
        var status = stat()
        if stat(path, &status) != 0 { throw OSError(call: "stat", errno: Glibc.errno) }
        return status.st_mode & 0o7777
    }

    private static func isRegularFile(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFREG
    }
}
