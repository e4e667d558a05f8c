import Glibc

/// Facts about the running process.
public enum CurrentProcess {
    public static var pid: pid_t { getpid() }
    public static var parentPID: pid_t { getppid() }

    /// The executable's path from /proc/self/exe (argv[0] can be anything the caller chose).
    public static func executablePath() throws(OSError) -> String {
        try readLink("/proc/self/exe")
    }

    public static func workingDirectory() throws(OSError) -> String {
        guard let path = getcwd(nil, 0) else { throw OSError(call: "getcwd", errno: Glibc.errno) }
        defer { free(path) }
        return String(cString: path)
    }

    /// The environment as raw "NAME=value" entries. Bytes, not Strings: a value that is not
    /// valid UTF-8 must reach the agent unchanged.
    public static func environment() -> [[UInt8]] {
        var entries: [[UInt8]] = []
        var cursor = environ
        while let entry = cursor.pointee {
            entries.append(Array(UnsafeRawBufferPointer(start: entry, count: strlen(entry))))
            cursor += 1
        }
        return entries
    }

    public static func environmentValue(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    private static func readLink(_ path: String) throws(OSError) -> String {
        var capacity = Int(PATH_MAX)
        while true {
            var buffer = [CChar](repeating: 0, count: capacity)
            let length = readlink(path, &buffer, capacity)
            if length < 0 { throw OSError(call: "readlink", errno: Glibc.errno) }
            if length < capacity {
                return String(decoding: buffer[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
            capacity *= 2
        }
    }
}
