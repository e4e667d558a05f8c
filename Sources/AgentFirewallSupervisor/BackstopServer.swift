import AgentFirewallOS
import AgentFirewallPolicy
import CAgentFirewallSeccomp
import CInterposeCore
import Glibc
import Synchronization

/// Decides the calls of programs the shim cannot see into. Before a process execs a static
/// binary, the shim installs a seccomp filter that notifies its opens, execs and connects,
/// and passes the filter's listener to this server over a Unix socket in a private directory
/// (mode 0700). Each notified call is decided by the same Engine as the fast and slow paths
/// and recorded with `"path":"backstop"`.
public final class BackstopServer: @unchecked Sendable {
    // @unchecked: `listeners` belongs to the server thread alone; `stop` joins it before
    // anything else touches the server.

    /// Where the shim connects: exported to the agent as AGENTFIREWALL_BACKSTOP.
    public let socketPath: String
    private let directory: String
    private let socketFD: Int32
    private let wakeFDs: (read: Int32, write: Int32)
    private let engine: Engine
    private let approve: ApproveMode
    private let monitor: Bool
    private let audit: AuditWriter?
    private var listeners: [Int32] = []
    private var thread: OSThread?
    private let call = UnsafeMutablePointer<afw_backstop_call>.allocate(capacity: 1)

    public init(engine: Engine, approve: ApproveMode, monitor: Bool, audit: AuditWriter?) throws(SupervisorError) {
        var template = Array("/tmp/agentfirewall-backstop.XXXXXX".utf8CString)
        guard let created = mkdtemp(&template) else {
            throw SupervisorError(.system, "cannot create the backstop's private directory in /tmp: \(String(cString: strerror(errno)))")
        }
        directory = String(cString: created)
        socketPath = directory + "/notify.sock"
        let socketFD = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.socketFD = socketFD
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes.prefix($0.count - 1)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(socketFD, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        var pipeFDs: [Int32] = [0, 0]  // a socketpair: wakes the poll loop at stop
        guard socketFD >= 0, bound == 0, listen(socketFD, 64) == 0, socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &pipeFDs) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(socketPath)
            rmdir(directory)
            close(socketFD)
            throw SupervisorError(.system, "cannot listen on the backstop socket \(socketPath): \(reason)")
        }
        wakeFDs = (pipeFDs[0], pipeFDs[1])
        self.engine = engine
        self.approve = approve
        self.monitor = monitor
        self.audit = audit
    }

    deinit {
        call.deallocate()
    }

    public func start() throws(OSError) {
        thread = try OSThread { [self] in serve() }
    }

    /// Stops serving. Programs still running under a notifying filter then get ENOSYS for
    /// their covered calls (the kernel's answer when a listener is gone): denied, not allowed.
    public func stop() {
        _ = write(wakeFDs.write, "x", 1)
        thread.take()?.join()
        for listener in listeners { close(listener) }
        close(socketFD)
        close(wakeFDs.read)
        close(wakeFDs.write)
        unlink(socketPath)
        rmdir(directory)
    }

    private func serve() {
        while true {
            var descriptors = [pollfd(fd: wakeFDs.read, events: Int16(POLLIN), revents: 0),
                               pollfd(fd: socketFD, events: Int16(POLLIN), revents: 0)]
            descriptors += listeners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) > 0 else { continue }
            if descriptors[0].revents != 0 { return }
            if descriptors[1].revents & Int16(POLLIN) != 0 {
                var listener: Int32 = -1
                if afw_backstop_accept(socketFD, &listener) == 0 { listeners.append(listener) }
            }
            var closed: Set<Int32> = []
            for descriptor in descriptors.dropFirst(2) {
                if descriptor.revents & Int16(POLLIN) != 0 {
                    if !serveOne(descriptor.fd) { closed.insert(descriptor.fd) }
                } else if descriptor.revents != 0 {
                    // POLLHUP: every process under that filter has exited.
                    closed.insert(descriptor.fd)
                }
            }
            for listener in closed { close(listener) }
            listeners.removeAll { closed.contains($0) }
        }
    }

    /// Serves one notification; false when `listener` is not a working seccomp listener (the
    /// agent can hand over any descriptor) and must be dropped.
    private func serveOne(_ listener: Int32) -> Bool {
        let status = afw_backstop_receive(listener, call)
        guard status == 0 else { return status == -ENOENT }
        let event: Event
        let subject: AuditSubject
        let operation = withUnsafeBytes(of: call.pointee.op) { Array($0.prefix { $0 != 0 }) }
        switch Int32(call.pointee.kind) {
        case Int32(AFW_BACKSTOP_FILE.rawValue):
            let path = withUnsafeBytes(of: call.pointee.path) { Array($0.prefix { $0 != 0 }) }
            let requested = withUnsafeBytes(of: call.pointee.requested) { Array($0.prefix { $0 != 0 }) }
            let access = FileAccess(rawValue: call.pointee.access)
            event = .file(path: String(decoding: path, as: UTF8.self),
                          requestedPath: requested == path ? nil : String(decoding: requested, as: UTF8.self),
                          access: access)
            subject = .file(path: path, requestedPath: requested == path ? nil : requested, access: access)
        case Int32(AFW_BACKSTOP_EXEC.rawValue):
            let program = withUnsafeBytes(of: call.pointee.path) { Array($0.prefix { $0 != 0 }) }
            let argv: [[UInt8]] = withUnsafeBytes(of: call.pointee.argv) { raw in
                let pointers = raw.bindMemory(to: UnsafePointer<CChar>?.self)
                return (0..<Int(call.pointee.argc)).map { index in
                    guard let argument = pointers[index] else { return [] }
                    return Array(UnsafeRawBufferPointer(start: argument, count: strlen(argument)))
                }
            }
            event = .exec(program: String(decoding: program, as: UTF8.self),
                          argv: argv.map { String(decoding: $0, as: UTF8.self) })
            subject = .exec(program: program, argv: argv)
        case Int32(AFW_BACKSTOP_NETWORK.rawValue):
            let length = call.pointee.family == 6 ? 16 : 4
            let address = IPAddress(family: call.pointee.family,
                                    bytes: withUnsafeBytes(of: call.pointee.address) { Array($0.prefix(length)) })
            event = .network(address: address, port: call.pointee.port, host: nil)
            subject = .network(address: address, port: call.pointee.port, host: nil)
        default:
            _ = afw_backstop_respond(listener, call.pointee.id, true, 0)
            return true
        }
        let decision = engine.decide(event)
        let (enforced, review) = approve.enforce(decision)
        let allowed = monitor || enforced == .allow
        _ = afw_backstop_respond(listener, call.pointee.id, allowed, EACCES)
        audit?.write(AuditRecord(
            timeNanoseconds: Clock.realtimeNanoseconds(), pid: call.pointee.pid, parentPID: call.pointee.ppid,
            executable: executable(of: call.pointee.pid), operation: operation,
            subject: subject, decision: decision, monitor: monitor, path: .backstop,
            latencyNanoseconds: 0, review: review))
        return true
    }

    private func executable(of pid: Int32) -> [UInt8] {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX))
        let length = readlink("/proc/\(pid)/exe", &buffer, buffer.count - 1)
        return length > 0 ? buffer.prefix(length).map { UInt8(bitPattern: $0) } : []
    }
}
