import Foundation
import Testing

/// Where the binaries under test are: `swift test` builds the `agentfirewall` executable and
/// the preload library into the same directory as the test bundle, so the tests exercise
/// exactly what that configuration ships.
enum Build {
    static let directory: String = {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
            ?? CommandLine.arguments[0]
        return (executable as NSString).deletingLastPathComponent
    }()
    static var firewall: String { directory + "/agentfirewall" }
    static var preloadLibrary: String { directory + "/libagentfirewall-preload.so" }
    static let fixtures: String = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").path

    /// tests/Fixtures/probe.c, compiled once per test run (without the firewall).
    static let probe: String = {
        let directory = NSTemporaryDirectory() + "agentfirewall-probe-\(getpid())"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let output = directory + "/probe"
        let result = try? Command.run("/usr/bin/env", ["cc", "-O1", "-o", output, fixtures + "/probe.c"])
        precondition(result?.status == 0, "cannot compile the probe: \(result?.stderr ?? "cc missing")")
        return output
    }()

    /// The same probe linked statically: no PT_INTERP, so the loader never loads the shim.
    static let staticProbe: String = {
        let output = (probe as NSString).deletingLastPathComponent + "/probe-static"
        let result = try? Command.run("/usr/bin/env", ["cc", "-static", "-O1", "-o", output, fixtures + "/probe.c"])
        precondition(result?.status == 0, "cannot link the probe statically: \(result?.stderr ?? "cc missing")")
        return output
    }()
}

/// The outcome of one process run to completion.
struct Outcome {
    let status: Int32
    let stdout: String
    let stderr: String
}

enum Command {
    /// Runs a program to completion with its output in files (pipes could fill and stall a
    /// chatty child). A run that outlives `timeout` is killed and reported as a failure, so a
    /// regression that makes a call hang fails the test instead of hanging the suite.
    ///
    /// posix_spawn and waitpid, not Foundation's Process: Process learns that a child ended
    /// through a descriptor that the child's descendants inherit, so it never reports the end
    /// of a firewall that was killed while its agent lives on, which is a case tested here.
    static func run(
        _ program: String, _ arguments: [String], in directory: String? = nil,
        environment: [String: String]? = nil, timeout: TimeInterval = 120,
        started: ((pid_t) -> Void)? = nil
    ) throws -> Outcome {
        let scratch = NSTemporaryDirectory() + "agentfirewall-out-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, scratch + "/out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, scratch + "/err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // `env -C DIR` changes directory and then execs in place: the pid stays the program's.
        let argv = ["/usr/bin/env"] + (directory.map { ["-C", $0] } ?? []) + [program] + arguments
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        var pid: pid_t = 0
        let error = withCStrings(argv) { argvPointers in
            withCStrings(envp) { envpPointers in
                posix_spawn(&pid, argv[0], &actions, nil, argvPointers, envpPointers)
            }
        }
        guard error == 0 else { throw POSIXError(POSIXErrorCode(rawValue: error) ?? .EIO) }
        started?(pid)

        let status: Int32
        if let exited = waitForExit(pid, timeout: timeout) {
            status = exited
        } else {
            kill(pid, SIGKILL)
            status = waitForExit(pid, timeout: .infinity) ?? 0
            Issue.record("\(program) \(arguments) did not finish within \(timeout) s")
        }
        let signal = status & 0x7f
        return Outcome(
            status: signal == 0 ? (status >> 8) & 0xff : 128 + signal,
            stdout: (try? String(contentsOfFile: scratch + "/out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: scratch + "/err", encoding: .utf8)) ?? "")
    }

    /// The wait status of `pid` once it exits, or nil when it is still running after
    /// `timeout`. A thread blocks in waitpid; this thread waits on a semaphore, not a clock.
    static func waitForExit(_ pid: pid_t, timeout: TimeInterval) -> Int32? {
        let result = ExitStatus()
        Thread.detachNewThread {
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            result.set(status)
        }
        return result.wait(timeout: timeout)
    }

    /// A NULL-terminated C array of C strings that lives for the duration of `body`.
    private static func withCStrings<R>(_ strings: [String], _ body: ([UnsafeMutablePointer<CChar>?]) -> R) -> R {
        let pointers = strings.map { strdup($0) } + [nil]
        defer { pointers.forEach { free($0) } }
        return body(pointers)
    }
}

/// A private directory per test with a secret, a harmless file, a blocked program and the
/// test policy, removed when the test ends.
final class Workspace {
    let path: String

    /// Blocks .env files, a program called forbidden-tool and 127.0.0.2; reviews 127.0.0.3;
    /// allows everything else, so that any failure a test sees comes from one of these rules.
    static let policy = """
        version: 1
        name: integration
        defaults: {file: allow, exec: allow, network: allow}
        rules:
          - id: test.secret
            surface: file
            match: {path: ["**/.env", "**/.env.*"]}
            action: block
            reason: the test secret
          - id: test.forbidden-program
            surface: exec
            match: {program: [forbidden-tool]}
            action: block
            reason: the test's forbidden program
          - id: test.blocked-address
            surface: network
            match: {address: [127.0.0.2/32]}
            action: block
            reason: the test's blocked address
          - id: test.reviewed-address
            surface: network
            match: {address: [127.0.0.3/32]}
            action: review
            reason: the test's reviewed address

        """

    /// An agent that writes `ready`, waits for SIGTERM, writes the signal's number to
    /// `got-signal` and exits 5: proof that a signal reached it and its status came back.
    static let exitFiveOnSIGTERM = """
        import signal, sys
        def stop(number, frame):
            open('got-signal', 'w').write(str(number))
            sys.exit(5)
        signal.signal(signal.SIGTERM, stop)
        open('ready', 'w').close()
        while True:
            signal.pause()
        """

    init() throws {
        var template = Array((NSTemporaryDirectory() + "agentfirewall-it.XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw POSIXError(.EIO) }
        // Resolved, because the firewall reports resolved paths (/tmp may be a symlink).
        path = URL(fileURLWithPath: String(cString: created)).resolvingSymlinksInPath().path
        write(".env", "API_KEY=sk-test-secret\n")
        write("notes.txt", "harmless\n")
        write("bin/forbidden-tool", "#!/bin/sh\necho forbidden-tool-ran\n", executable: true)
        write("policy.yaml", Workspace.policy)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ name: String) -> String { path + "/" + name }

    func write(_ name: String, _ contents: String, executable: Bool = false) {
        let target = file(name)
        try? FileManager.default.createDirectory(
            atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(
            atPath: target, contents: Data(contents.utf8),
            attributes: [.posixPermissions: executable ? 0o755 : 0o644])
    }

    /// PATH with the workspace's bin/ first, so `forbidden-tool` is found by name.
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["PATH"] = file("bin") + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        environment.removeValue(forKey: "LD_PRELOAD")
        return environment
    }

    /// `agentfirewall run --policy policy.yaml --audit audit.jsonl [options] -- command...`
    func firewall(
        _ command: [String], options: [String] = [], timeout: TimeInterval = 120,
        started: ((pid_t) -> Void)? = nil
    ) throws -> Outcome {
        try Command.run(
            Build.firewall,
            ["run", "--policy", file("policy.yaml"), "--audit", file("audit.jsonl")] + options + ["--"] + command,
            in: path, environment: environment, timeout: timeout, started: started)
    }

    /// The audit records of the last run, summary last.
    func audit() throws -> [[String: Any]] {
        let text = try String(contentsOfFile: file("audit.jsonl"), encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8))
            return try #require(object as? [String: Any], "not an object: \(line)")
        }
    }

    /// The audit records about `subject` (a path, host:port, or an argv containing it).
    func records(about subject: String) throws -> [[String: Any]] {
        try audit().filter { record in
            if let text = record["subject"] as? String { return text == subject }
            if let argv = record["subject"] as? [String] { return argv.contains(subject) }
            return false
        }
    }

    /// Waits until `name` exists in the workspace (see `waitFor(_:in:timeout:)`).
    func waitFor(_ name: String, timeout: TimeInterval = 60) -> Bool {
        Workspace.waitFor(name, in: path, timeout: timeout)
    }

    /// Waits until `name` exists in `directory`: inotify reports every file created, written
    /// or renamed into it, so the test wakes when the agent writes it, not on a timer.
    static func waitFor(_ name: String, in directory: String, timeout: TimeInterval = 60) -> Bool {
        let watch = inotify_init1(Int32(IN_CLOEXEC))
        defer { close(watch) }
        // Watch first, then look: a file created in between is seen either way.
        inotify_add_watch(watch, directory, UInt32(IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE))
        let deadline = Date().addingTimeInterval(timeout)
        var events = [UInt8](repeating: 0, count: 4096)
        while !FileManager.default.fileExists(atPath: directory + "/" + name) {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return false }
            var descriptor = pollfd(fd: watch, events: Int16(POLLIN), revents: 0)
            if poll(&descriptor, 1, Int32(min(remaining, 60) * 1000) + 1) > 0 {
                _ = read(watch, &events, events.count)
            }
        }
        return true
    }
}

/// The exit status a waiting thread hands over.
final class ExitStatus: @unchecked Sendable {
    private let lock = NSLock()
    private let exited = DispatchSemaphore(value: 0)
    private var status: Int32 = 0

    func set(_ value: Int32) {
        lock.withLock { status = value }
        exited.signal()
    }

    func wait(timeout: TimeInterval) -> Int32? {
        let deadline: DispatchTime = timeout.isFinite ? .now() + timeout : .distantFuture
        guard exited.wait(timeout: deadline) == .success else { return nil }
        return lock.withLock { status }
    }
}

/// A TCP listener (or a UDP socket, with `datagrams`) on a loopback address, to tell "blocked
/// by the firewall" (EACCES) from "nobody listens" (ECONNREFUSED) and to see whether anything
/// got through.
final class LoopbackListener {
    let fd: Int32
    let port: UInt16

    init(address: String, datagrams: Bool = false) throws {
        let fd = socket(AF_INET, Int32((datagrams ? SOCK_DGRAM : SOCK_STREAM).rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var socketAddress = sockaddr_in()
        socketAddress.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, address, &socketAddress.sin_addr)
        let bound = withUnsafePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, datagrams || listen(fd, 16) == 0 else { throw POSIXError(.EADDRNOTAVAIL) }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &socketAddress) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        port = UInt16(bigEndian: socketAddress.sin_port)
    }

    /// True when a connection is waiting to be accepted (or a datagram to be read).
    var hasPendingInput: Bool {
        var pollDescriptor = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&pollDescriptor, 1, 0) > 0
    }

    deinit { close(fd) }
}

/// Raw system-call numbers in the tests' scripts are x86_64's.
#if arch(x86_64)
let isX86_64 = true
#else
let isX86_64 = false
#endif
