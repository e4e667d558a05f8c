import AgentFirewallOS
import AgentFirewallPolicy
import CAgentFirewallABI
import CAgentFirewallSeccomp
import CInterposeCore
import Glibc
import Synchronization

/// Decides the calls the shim did not make itself. The agent starts under a seccomp filter
/// (afw_notify_filter.h) whose listener this server holds: every open, exec, connect and
/// addressed send of every process of the agent that did not come from the shim's gadget
/// (static binaries, raw system calls, the loader's and libc's internal opens; in paranoid
/// mode every call) waits in the kernel until this server has decided it with the same
/// Engine as the fast and slow paths. Recorded with `"path":"backstop"`.
public final class BackstopServer: @unchecked Sendable {
    // @unchecked: `listeners` belongs to the server thread alone; `stop` joins it before
    // anything else touches the server.

    private static let stopMessage: Int32 = -1
    /// Carries listeners to adopt (and the stop message) to the server thread, and wakes it.
    private let mailbox: (read: Int32, write: Int32)
    private let engine: Engine
    private let reviews: PendingReviews
    private let monitor: Bool
    private let quiet: Bool
    private let audit: AuditWriter?
    private var listeners: [Int32] = []
    private let countsAllowed: Bool
    /// The run's segment, whose spawn tokens let through the execs libc makes for a spawn the
    /// shim decided; nil in paranoid mode, where the agent-writable tokens count for nothing.
    private let spawnTokens: UnsafeMutablePointer<afw_segment_header>?
    /// Allows counted instead of written (`audit: {allowed: count}`), by the server thread
    /// and by the threads that answer reviews.
    private let allowedCountedCell = Atomic<UInt64>(0)
    public var allowedCounted: UInt64 { allowedCountedCell.load(ordering: .relaxed) }
    private var thread: OSThread?
    private let call = UnsafeMutablePointer<afw_backstop_call>.allocate(capacity: 1)

    public init(
        engine: Engine, reviews: PendingReviews, monitor: Bool, quiet: Bool, audit: AuditWriter?, countsAllowed: Bool = false,
        spawnTokens: UnsafeMutablePointer<afw_segment_header>? = nil
    ) throws(SupervisorError) {
        var descriptors: [Int32] = [0, 0]
        // SOCK_SEQPACKET: each listener number arrives whole, as its own message.
        guard socketpair(AF_UNIX, Int32(SOCK_SEQPACKET.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &descriptors) == 0 else {
            throw SupervisorError(.system, "cannot create the backstop's mailbox: \(String(cString: strerror(errno)))")
        }
        mailbox = (descriptors[0], descriptors[1])
        self.engine = engine
        self.reviews = reviews
        self.monitor = monitor
        self.quiet = quiet
        self.audit = audit
        self.countsAllowed = countsAllowed
        self.spawnTokens = spawnTokens
    }

    deinit {
        call.deallocate()
        close(mailbox.read)
        close(mailbox.write)
    }

    public func start() throws(OSError) {
        thread = try OSThread { [self] in serve() }
    }

    /// Serves `listener` from now on (it becomes the server's to close). Safe from any thread.
    public func adopt(listener: Int32) {
        post(listener)
    }

    /// Stops serving. Processes still running under the filter then get ENOSYS for their
    /// covered calls (the kernel's answer when a listener is gone): denied, not allowed.
    public func stop() {
        post(BackstopServer.stopMessage)
        thread.take()?.join()
        for listener in listeners { close(listener) }
        listeners.removeAll()
    }

    private func post(_ message: Int32) {
        var message = message
        while write(mailbox.write, &message, MemoryLayout<Int32>.size) < 0 && errno == EINTR {}
    }

    private func serve() {
        while true {
            var descriptors = [pollfd(fd: mailbox.read, events: Int16(POLLIN), revents: 0)]
            descriptors += listeners.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            guard poll(&descriptors, nfds_t(descriptors.count), -1) > 0 else { continue }
            if descriptors[0].revents & Int16(POLLIN) != 0 {
                var message: Int32 = 0
                if read(mailbox.read, &message, MemoryLayout<Int32>.size) == MemoryLayout<Int32>.size {
                    if message == BackstopServer.stopMessage { return }
                    listeners.append(message)
                }
                continue
            }
            var closed: Set<Int32> = []
            for descriptor in descriptors.dropFirst() {
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
        // From taking the call to answering it: what the backstop adds to the call, apart
        // from the two context switches.
        let started = Clock.monotonicNanoseconds()
        let status = afw_backstop_receive(listener, call)
        guard status == 0 else { return status == -ENOENT }
        // Fields are read in place: `call.pointee.path` would copy the whole struct (paths
        // and argument bytes, some 34 KB) for every field read.
        let operation = field(\.op)
        let candidates: [(event: Event, subject: AuditSubject)]
        switch Int32(call.pointee.kind) {
        case Int32(AFW_BACKSTOP_FILE.rawValue), Int32(AFW_BACKSTOP_CHANGE.rawValue):
            candidates = [fileCandidate(path: field(\.path), requested: field(\.requested),
                                        access: FileAccess(rawValue: call.pointee.access))]
        case Int32(AFW_BACKSTOP_NEW_NAME.rawValue):
            // As the shim decides rename and link (CInterpose/Preload/check_file.c): the old
            // name as read and as write, the new one as write or create, both ways for an
            // exchange; the strictest decision is the call's.
            let old = (path: field(\.path), requested: field(\.requested))
            let new = (path: field(\.new_path), requested: field(\.new_requested))
            let exchange = call.pointee.exchange
            candidates = [fileCandidate(path: old.path, requested: old.requested, access: .read),
                          fileCandidate(path: old.path, requested: old.requested, access: .write),
                          fileCandidate(path: new.path, requested: new.requested,
                                        access: exchange || call.pointee.new_exists ? .write : .create)]
                + (exchange ? [fileCandidate(path: new.path, requested: new.requested, access: .read)] : [])
        case Int32(AFW_BACKSTOP_EXEC.rawValue):
            if let spawnTokens, afw_spawn_token_take(spawnTokens, afw_backstop_parent_of(call.pointee.pid), start(of: \.path),
                                                     Clock.monotonicNanoseconds()) {
                // posix_spawn, system or popen: the parent's shim decided and recorded it.
                _ = afw_backstop_respond(listener, call.pointee.id, true, 0)
                return true
            }
            let program = field(\.path)
            let argumentsOffset = MemoryLayout<afw_backstop_call>.offset(of: \.argv)!
            let pointers = (UnsafeRawPointer(call) + argumentsOffset).assumingMemoryBound(to: UnsafePointer<CChar>?.self)
            let argv: [[UInt8]] = (0..<Int(call.pointee.argc)).map { index in
                guard let argument = pointers[index] else { return [] }
                return Array(UnsafeRawBufferPointer(start: argument, count: strlen(argument)))
            }
            candidates = [(.exec(program: String(decoding: program, as: UTF8.self),
                                 argv: argv.map { String(decoding: $0, as: UTF8.self) }),
                           .exec(program: program, argv: argv))]
        case Int32(AFW_BACKSTOP_NETWORK.rawValue):
            let length = call.pointee.family == 6 ? 16 : 4
            let addressOffset = MemoryLayout<afw_backstop_call>.offset(of: \.address)!
            let address = IPAddress(family: call.pointee.family,
                                    bytes: Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(call) + addressOffset, count: length)))
            candidates = [(.network(address: address, port: call.pointee.port, host: nil),
                           .network(address: address, port: call.pointee.port, host: nil))]
        default:
            _ = afw_backstop_respond(listener, call.pointee.id, true, 0)
            return true
        }
        var (decision, subject) = (engine.decide(candidates[0].event), candidates[0].subject)
        for candidate in candidates.dropFirst() {
            let other = engine.decide(candidate.event)
            if afw_action_strictness(other.action.abiValue) > afw_action_strictness(decision.action.abiValue) {
                (decision, subject) = (other, candidate.subject)
            }
        }
        let notified = Notified(
            listener: listener, call: call, decision: decision, subject: subject, operation: operation, started: started,
            caller: nil)
        guard decision.action == .review, !monitor else {
            let review = decision.action == .review ? reviews.approve.monitorResolution : nil
            conclude(notified, allowed: monitor || decision.action == .allow || decision.action == .log, review: review)
            return true
        }
        // The caller stays paused in the kernel until the review is answered, and this thread
        // must not wait with it: every process of the agent would stall behind one question.
        // The answer comes later, from the thread that answers the review, on copies of the
        // call (this buffer is reused) and of the listener (this thread closes its own when
        // the agent's processes are gone; a number reused by then would be someone else's).
        let saved = UnsafeMutablePointer<afw_backstop_call>.allocate(capacity: 1)
        saved.update(from: call, count: 1)
        let savedListener = fcntl(listener, F_DUPFD_CLOEXEC, 0)
        guard savedListener >= 0 else {
            saved.deallocate()
            conclude(notified, allowed: false, review: ReviewResolution(
                outcome: .block, answeredBy: "the supervisor (out of descriptors to hold the review)"))
            return true
        }
        let pid = call.pointee.pid
        // Read now: by the time the answer comes, the caller may be gone (or its pid reused).
        let caller = (executable: ProcessAncestry.executablePath(of: pid), parentPID: afw_backstop_parent_of(pid))
        let request = ReviewRequest(
            surface: subject.surface, subject: ReviewRequest.subject(subject), operation: String(decoding: operation, as: UTF8.self),
            process: ProcessLink(pid: pid, executable: String(decoding: caller.executable, as: UTF8.self)),
            parents: ProcessAncestry.parents(of: pid, stopAt: getpid()), ruleID: decision.ruleID, reason: decision.reason)
        let later = Notified(
            listener: savedListener, call: saved, decision: decision, subject: subject, operation: operation, started: started,
            caller: caller)
        let id = call.pointee.id
        // A caller that died, or was interrupted by a signal (its call is then notified again,
        // with a new id, and waits as a duplicate of this review), no longer waits for this id.
        reviews.submit(request, stillWaiting: { afw_backstop_still_waiting(savedListener, id) }) { [self] resolution in
            let callerGone = !afw_backstop_still_waiting(later.listener, later.call.pointee.id)
            conclude(later, allowed: resolution.outcome == .allow, review: resolution, callerGone: callerGone)
            close(later.listener)
            later.call.deallocate()
        }
        return true
    }

    /// A notified call and what was decided about it.
    private struct Notified: @unchecked Sendable {
        // @unchecked: `call` is read by one thread at a time, the one that answers it.
        let listener: Int32
        let call: UnsafeMutablePointer<afw_backstop_call>
        let decision: Decision
        let subject: AuditSubject
        let operation: [UInt8]
        let started: UInt64
        /// The caller's executable and parent, when read before the answer (for a review);
        /// nil when they are read for the audit after it.
        let caller: (executable: [UInt8], parentPID: Int32)?
    }

    /// Answers a notified call, says what was blocked and audits it: the one place a call is
    /// answered, whether at once on the server thread or after a review on another one.
    /// With `callerGone` (it ended while its review waited), nothing is answered or shown,
    /// but the review is still audited: the audit says what was asked and how it ended.
    private func conclude(_ notified: Notified, allowed: Bool, review: ReviewResolution?, callerGone: Bool = false) {
        let call = notified.call
        // An allowed open is made here and its descriptor installed in the caller, so that
        // the file it gets is the file decided: a plain "continue" would let the kernel
        // resolve the path again, after the caller had swapped a symlink into it.
        let isOpen = Int32(call.pointee.kind) == Int32(AFW_BACKSTOP_FILE.rawValue)
        if !callerGone && (!allowed || !isOpen || afw_backstop_open_for(notified.listener, call) == 1) {
            _ = afw_backstop_respond(notified.listener, call.pointee.id, allowed, EACCES)
        }
        let latency = Clock.monotonicNanoseconds() - notified.started
        let decision = notified.decision
        if !allowed && !quiet && !callerGone {
            // The shim prints this line in the agent for what it blocks; for what it never
            // saw, the supervisor's stderr (normally the same terminal) is the place.
            let reason = review != nil ? "review denied: \(decision.reason)" : decision.reason
            StandardError.writeLine("agentfirewall: blocked \(notified.subject.surface.rawValue) \(notified.subject.shown) (rule \(decision.ruleID ?? "default")): \(reason)")
        }
        // `audit: {allowed: count}` counts plain allows instead of listing them, here as on
        // the fast path: the loader's opens alone are a few per process.
        if countsAllowed && decision.action == .allow {
            allowedCountedCell.add(1, ordering: .relaxed)
            return
        }
        guard let audit else { return }
        let pid = call.pointee.pid
        let caller = notified.caller ?? (ProcessAncestry.executablePath(of: pid), afw_backstop_parent_of(pid))
        audit.write(AuditRecord(
            timeNanoseconds: Clock.realtimeNanoseconds(), pid: pid, parentPID: caller.parentPID,
            executable: caller.executable, operation: notified.operation,
            subject: notified.subject, decision: decision, monitor: monitor, path: .backstop,
            latencyNanoseconds: latency, review: review))
    }

    private func fileCandidate(path: [UInt8], requested: [UInt8], access: FileAccess) -> (event: Event, subject: AuditSubject) {
        let requestedPath = requested == path ? nil : requested
        return (.file(path: String(decoding: path, as: UTF8.self),
                      requestedPath: requestedPath.map { String(decoding: $0, as: UTF8.self) }, access: access),
                .file(path: path, requestedPath: requestedPath, access: access))
    }

    /// One of the call's character arrays, in place.
    private func start<Characters>(of keyPath: KeyPath<afw_backstop_call, Characters>) -> UnsafePointer<CChar> {
        (UnsafeRawPointer(call) + MemoryLayout<afw_backstop_call>.offset(of: keyPath)!).assumingMemoryBound(to: CChar.self)
    }

    /// The NUL-terminated string in one of the call's character arrays.
    private func field<Characters>(_ keyPath: KeyPath<afw_backstop_call, Characters>) -> [UInt8] {
        let characters = start(of: keyPath)
        return Array(UnsafeRawBufferPointer(start: characters, count: strnlen(characters, MemoryLayout<Characters>.size)))
    }
}
