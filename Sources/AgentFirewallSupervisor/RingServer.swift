import AgentFirewallOS
import AgentFirewallPolicy
import CAgentFirewallABI
import CInterposeCore
import Glibc
import Synchronization

/// Serves the shared segment on a thread of its own: answers the requests of the slow path
/// (decided by the same Engine the fast path's table came from) and moves the fast path's
/// decided events into the audit.
///
/// Everything in the segment was writable by the agent, so every record is copied out
/// before it is decoded, and one that does not decode is counted as malformed and skipped:
/// a hostile agent can make the audit incomplete, never crash the supervisor or get a
/// request allowed by scribbling.
public final class RingServer: @unchecked Sendable {
    // @unchecked: after `start`, the mutable state below belongs to the server thread alone;
    // `finish` reads it only after joining that thread (pthread_join orders the accesses).

    public struct Report: Sendable, Equatable {
        /// Records that failed to decode or named an impossible action or path.
        public let malformed: UInt64
        /// Requests answered, or handed to a review that answers them.
        public let requestsAnswered: UInt64
        /// Events moved from the event ring into the audit (or discarded without --audit).
        public let eventsDrained: UInt64
    }

    private let session: Session
    private let engine: Engine
    private let reviews: PendingReviews
    private let monitor: Bool
    private let audit: AuditWriter?
    private let stopRequested = Atomic<Bool>(false)
    private var thread: OSThread?

    private var malformed: UInt64 = 0
    private var requestsAnswered: UInt64 = 0
    private var eventsDrained: UInt64 = 0

    // Buffers reused for every record, so serving allocates nothing per record but the
    // audit line. argv pointers: one per byte at most, since each string ends with a NUL.
    private let recordCapacity = max(
        Int(AFW_REQ_SLOT_SIZE) - MemoryLayout<afw_req_slot_header>.size,  // AFW_REQ_EVENT_MAX
        Int(AFW_EVT_SLOT_SIZE) - MemoryLayout<afw_evt_slot_header>.size)  // AFW_EVT_EVENT_MAX
    private let record: UnsafeMutableRawPointer
    private let argv: UnsafeMutablePointer<UnsafePointer<CChar>?>

    /// How many events one round takes before it looks at requests again, so a flood of
    /// fast-path events cannot keep a paused caller waiting.
    private static let eventsPerRound = 256
    /// How often slots of clients that died while posting are freed.
    private static let reclaimIntervalNanoseconds: UInt64 = 1_000_000_000
    private static let idleWaitMilliseconds: Int32 = 100

    public init(session: Session, engine: Engine, reviews: PendingReviews, monitor: Bool, audit: AuditWriter?) {
        self.session = session
        self.engine = engine
        self.reviews = reviews
        self.monitor = monitor
        self.audit = audit
        record = .allocate(byteCount: recordCapacity, alignment: 8)
        argv = .allocate(capacity: recordCapacity)
    }

    deinit {
        record.deallocate()
        argv.deallocate()
    }

    public func start() throws(OSError) {
        thread = try OSThread { [self] in serve() }
    }

    /// Call once the agent has ended: serves what is still in the rings, stops the thread
    /// and reports. Processes the agent left behind may keep posting; the final drain takes
    /// a bounded number of records so that they cannot keep the run from ending.
    public func finish() -> Report {
        stopRequested.store(true, ordering: .releasing)
        afw_supervisor_wake(session.header)
        thread.take()?.join()
        return Report(malformed: malformed, requestsAnswered: requestsAnswered, eventsDrained: eventsDrained)
    }

    private func serve() {
        var lastReclaim = Clock.monotonicNanoseconds()
        var budgetAfterStop = 4 * Int(AFW_EVT_SLOT_COUNT + AFW_REQ_SLOT_COUNT)
        while true {
            // Read before the round: a round that starts after the stop request still drains.
            let stopping = stopRequested.load(ordering: .acquiring)
            let handled = serveRequests() + drainEvents()
            let now = Clock.monotonicNanoseconds()
            if now - lastReclaim >= RingServer.reclaimIntervalNanoseconds {
                afw_req_reclaim(session.header)
                lastReclaim = now
            }
            if stopping {
                budgetAfterStop -= handled
                if handled == 0 || budgetAfterStop <= 0 { break }
            } else if handled == 0 {
                audit?.flush()
                afw_supervisor_wait(session.header, RingServer.idleWaitMilliseconds)
            }
        }
        audit?.flush()
    }

    private func serveRequests() -> Int {
        var handled = 0
        while true {
            var slot: UInt32 = 0
            let size = afw_req_take(session.header, &slot, record, recordCapacity)
            if size == 0 { return handled }
            handled += 1
            // afw_req_take has already denied a slot whose size was impossible.
            if size < 0 {
                malformed += 1
                continue
            }
            answerRequest(size: size, slot: slot)
        }
    }

    private func answerRequest(size: Int, slot: UInt32) {
        var head = afw_event_head()
        var executable: UnsafePointer<CChar>?
        var view = afw_event_view()
        let status = afw_event_decode(record, size, &head, &executable, &view, argv, UInt32(recordCapacity))
        guard status == AFW_OK, let surface = Surface(abiValue: view.surface) else {
            malformed += 1
            afw_req_answer(session.header, slot, Action.block.abiValue, Decision.defaultRuleIndex, DecisionPath.slow.abiValue)
            return
        }
        let truncated = head.flags & UInt8(AFW_EVENT_TRUNCATED.rawValue) != 0
        var decision = engine.decide(view: &view)
        if truncated && (decision.action == .allow || decision.action == .log) {
            // The shim asked because the table wanted a review of the full subject; what
            // reached us is cut, so an allow on it proves nothing. It stays the review the
            // shim's rule asked for (a forged rule index only names a rule, it allows nothing).
            decision = engine.decision(action: .review, ruleIndex: head.rule_index, surface: surface)
        }
        requestsAnswered += 1
        let executablePath = bytes(executable)
        let subject = subject(surface: surface, view: view)
        let call = AuditRecord(
            timeNanoseconds: head.time_ns, pid: head.pid, parentPID: head.ppid,
            executable: executablePath, operation: operation(head),
            subject: subject, decision: decision, monitor: monitor, path: .slow,
            latencyNanoseconds: 0, truncated: truncated,
            staticBinary: head.flags & UInt8(AFW_EVENT_STATIC_BINARY.rawValue) != 0)
        guard decision.action == .review, !monitor else {
            let review = decision.action == .review ? reviews.approve.monitorResolution : nil
            let enforced: Action = monitor || decision.action == .allow || decision.action == .log ? .allow : .block
            conclude(call, slot: slot, outcome: enforced, review: review)
            return
        }
        // The slot stays SERVING, its caller paused in afw_req_call, until the review is
        // answered; this thread goes on serving every other call meanwhile.
        // A person must not approve a subject believing they saw all of it.
        let shown = ReviewRequest.subject(subject) + (truncated ? " [cut short: the call's subject is longer]" : "")
        let request = ReviewRequest(
            surface: surface, subject: shown, operation: String(decoding: call.operation, as: UTF8.self),
            process: ProcessLink(pid: head.pid, executable: String(decoding: executablePath, as: UTF8.self)),
            parents: ProcessAncestry.parents(of: head.pid, stopAt: getpid()),
            ruleID: decision.ruleID, reason: decision.reason)
        let pid = head.pid
        reviews.submit(request, stillWaiting: { kill(pid, 0) == 0 || errno != ESRCH }) { [self] resolution in
            // A caller that ended before the answer: answering its slot frees it (afw_req_reclaim
            // takes an answered slot of a dead owner).
            conclude(call, slot: slot, outcome: resolution.outcome, review: resolution)
        }
    }

    /// Answers the slot and audits the call; runs on this server's thread, or on the thread
    /// that answered a review.
    private func conclude(_ call: AuditRecord, slot: UInt32, outcome: Action, review: ReviewResolution?) {
        afw_req_answer(session.header, slot, outcome.abiValue, call.decision.ruleIndex, DecisionPath.slow.abiValue)
        guard let audit else { return }
        var record = call
        let now = Clock.realtimeNanoseconds()
        record.latencyNanoseconds = now > record.timeNanoseconds ? now - record.timeNanoseconds : 0
        record.review = review
        audit.write(record)
    }

    private func drainEvents() -> Int {
        var handled = 0
        while handled < RingServer.eventsPerRound {
            let size = afw_evt_pop(session.header, record, recordCapacity)
            if size == 0 { break }
            handled += 1
            eventsDrained += 1
            if size < 0 {
                malformed += 1
                continue
            }
            recordEvent(size: size)
        }
        return handled
    }

    private func recordEvent(size: Int) {
        var head = afw_event_head()
        var executable: UnsafePointer<CChar>?
        var view = afw_event_view()
        let status = afw_event_decode(record, size, &head, &executable, &view, argv, UInt32(recordCapacity))
        guard status == AFW_OK,
              let surface = Surface(abiValue: view.surface),
              let action = Action(abiValue: head.action),
              let path = DecisionPath(abiValue: head.path)
        else {
            malformed += 1
            return
        }
        guard let audit else { return }
        audit.write(AuditRecord(
            timeNanoseconds: head.time_ns, pid: head.pid, parentPID: head.ppid,
            executable: bytes(executable), operation: operation(head),
            subject: subject(surface: surface, view: view),
            decision: engine.decision(action: action, ruleIndex: head.rule_index, surface: surface),
            monitor: head.flags & UInt8(AFW_EVENT_MONITOR.rawValue) != 0, path: path,
            latencyNanoseconds: head.latency_ns, truncated: head.flags & UInt8(AFW_EVENT_TRUNCATED.rawValue) != 0,
            staticBinary: head.flags & UInt8(AFW_EVENT_STATIC_BINARY.rawValue) != 0))
    }

    private func subject(surface: Surface, view: afw_event_view) -> AuditSubject {
        switch surface {
        case .file:
            return .file(path: bytes(view.path), requestedPath: view.requested_path.map { bytes($0) },
                         access: FileAccess(rawValue: view.access))
        case .exec:
            let arguments = (0..<Int(view.argc)).map { bytes(view.argv?[$0]) }
            return .exec(program: bytes(view.program), argv: arguments)
        case .network:
            let address = withUnsafeBytes(of: view.address) { Array($0) }
            return .network(address: IPAddress(family: view.family, bytes: address), port: view.port,
                            host: view.host.map { bytes($0) })
        }
    }

    /// op is a fixed 16-byte field that the agent may have filled without a NUL.
    private func operation(_ head: afw_event_head) -> [UInt8] {
        withUnsafeBytes(of: head.op) { Array($0.prefix { $0 != 0 }) }
    }

    private func bytes(_ string: UnsafePointer<CChar>?) -> [UInt8] {
        guard let string else { return [] }
        return Array(UnsafeRawBufferPointer(start: string, count: strlen(string)))
    }
}
