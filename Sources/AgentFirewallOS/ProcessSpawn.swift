import Glibc

/// Starts processes with posix_spawn (vfork + exec in glibc: no copy of the supervisor's
/// address space, and no window in which a forked copy of a multi-threaded process runs
/// Swift code).
public enum ProcessSpawn {
    /// Spawns `path` (not searched on PATH: the caller decides which file runs) with
    /// `arguments` and `environment` (raw "NAME=value" bytes, passed on unchanged).
    /// - Parameters:
    ///   - signalMask: the child's signal mask (the supervisor's own mask is inherited
    ///     through exec otherwise, and would leave the agent deaf to the signals we block).
    ///   - defaultSignals: signals whose disposition the child gets back as SIG_DFL.
    /// - Returns: the child's pid.
    public static func spawn(
        path: String, arguments: [String], environment: [[UInt8]],
        signalMask: SignalSet, defaultSignals: SignalSet
    ) throws(OSError) -> pid_t {
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        signalMask.withUnsafePointer { _ = posix_spawnattr_setsigmask(&attributes, $0) }
        defaultSignals.withUnsafePointer { _ = posix_spawnattr_setsigdefault(&attributes, $0) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        let argv = CStringArray(arguments.map { Array($0.utf8) })
        let envp = CStringArray(environment)
        defer {
            argv.deallocate()
            envp.deallocate()
        }
        var pid: pid_t = 0
        let error = posix_spawn(&pid, path, nil, &attributes, argv.pointers, envp.pointers)
        if error != 0 { throw OSError(call: "posix_spawn", errno: error) }
        return pid
    }
}

/// A NULL-terminated array of C strings built from raw bytes, as execve wants them.
private struct CStringArray {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
    private let count: Int

    init(_ strings: [[UInt8]]) {
        count = strings.count
        pointers = .allocate(capacity: count + 1)
        for (index, bytes) in strings.enumerated() {
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { copy.update(from: $0.baseAddress!, count: bytes.count) }
            }
            copy[bytes.count] = 0
            pointers[index] = copy
        }
        pointers[count] = nil
    }

    func deallocate() {
        for index in 0..<count { pointers[index]?.deallocate() }
        pointers.deallocate()
    }
}
