import Glibc

/// Who started a process, read from /proc for the review question ("who is asking").
public enum ProcessAncestry {
    /// A parent chain longer than this is cut: the question stays readable, and a hostile
    /// agent cannot make the supervisor walk a fork chain of thousands.
    static let maximumDepth = 8

    /// The parents of `pid`, nearest first, up to (not including) `stopAt` (the supervisor:
    /// what is above it is the user's shell, not the agent) or init.
    public static func parents(of pid: Int32, stopAt: Int32) -> [ProcessLink] {
        var chain: [ProcessLink] = []
        var current = pid
        while chain.count < maximumDepth, let parent = parent(of: current), parent > 1, parent != stopAt {
            chain.append(ProcessLink(pid: parent, executable: executable(of: parent)))
            current = parent
        }
        return chain
    }

    public static func executable(of pid: Int32) -> String {
        String(decoding: executablePath(of: pid), as: UTF8.self)
    }

    /// The bytes of /proc/PID/exe's target (a path need not be UTF-8; the audit keeps it as is).
    public static func executablePath(of pid: Int32) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let length = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        return length > 0 ? buffer.prefix(length).map { UInt8(bitPattern: $0) } : []
    }

    /// How many seccomp filters `path` (a /proc/PID/status or /proc/thread-self/status) says
    /// its process runs under; nil when that cannot be read (the process is gone, or the
    /// kernel predates the field, Linux 5.9).
    public static func seccompFilterCount(statusPath path: String) -> Int? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while contents.count < 65536 {
            let count = read(descriptor, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            contents += buffer.prefix(count)
        }
        let prefix = Array("Seccomp_filters:".utf8)
        for line in contents.split(separator: UInt8(ascii: "\n")) where line.starts(with: prefix) {
            return Int(String(decoding: line.dropFirst(prefix.count), as: UTF8.self).trimmingSpaces)
        }
        return nil
    }

    /// The ppid field of /proc/PID/stat. It follows the command name, which is in parentheses
    /// and may itself contain ") " (a process can name itself anything), so the scan starts
    /// after the last ')'.
    static func parent(of pid: Int32) -> Int32? {
        let descriptor = open("/proc/\(pid)/stat", O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var buffer = [UInt8](repeating: 0, count: 1024)
        let length = read(descriptor, &buffer, buffer.count)
        guard length > 0, let close = buffer.prefix(length).lastIndex(of: UInt8(ascii: ")")) else { return nil }
        let fields = buffer[(close + 1)..<length].split(separator: UInt8(ascii: " "))
        // After the name: state, then ppid.
        guard fields.count > 1 else { return nil }
        return Int32(String(decoding: fields[1], as: UTF8.self))
    }
}
