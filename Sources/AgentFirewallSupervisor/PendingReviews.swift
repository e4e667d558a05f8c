import AgentFirewallOS
import AgentFirewallPolicy
import Glibc
import Synchronization

/// Owns the run's reviews: every call whose decision is `review` is submitted here, from the
/// ring server (the shim's slow path), the backstop or the launch of COMMAND, and gets its
/// answer through the reply it was submitted with, exactly once.
///
/// With `--approve ask`, a review waits (the caller paused, never its server thread) until a
/// person answers it by ID, on the terminal or the control socket, or until its timeout
/// denies it. A question already pending is not asked twice: a duplicate (same rule and
/// subject) waits for the same answer. An answer "for this run" answers that rule and
/// subject at once from then on.
public final class PendingReviews: Sendable {
    public typealias Reply = @Sendable (ReviewResolution) -> Void

    /// One review waiting for an answer, as reviewers see it.
    public struct Pending: Sendable, Equatable {
        public let id: Int
        public let request: ReviewRequest
        /// Monotonic time it was asked.
        public let askedNanoseconds: UInt64
        /// Monotonic time it is denied unless answered.
        public let deadlineNanoseconds: UInt64
        /// Calls paused for this answer (duplicates included).
        public let waitingCalls: Int

        public init(id: Int, request: ReviewRequest, askedNanoseconds: UInt64, deadlineNanoseconds: UInt64, waitingCalls: Int) {
            self.id = id
            self.request = request
            self.askedNanoseconds = askedNanoseconds
            self.deadlineNanoseconds = deadlineNanoseconds
            self.waitingCalls = waitingCalls
        }
    }

    /// An answer given by a person.
    public enum Answer: String, Sendable, CaseIterable {
        case allowOnce = "allow-once", denyOnce = "deny-once", allowForRun = "allow-run", denyForRun = "deny-run"

        public var outcome: Action { self == .allowOnce || self == .allowForRun ? .allow : .block }
        public var coversRun: Bool { self == .allowForRun || self == .denyForRun }
    }

    private struct Waiter {
        let reply: Reply
        let submittedNanoseconds: UInt64
        let stillWaiting: @Sendable () -> Bool
    }

    private struct Entry {
        var pending: Pending
        var waiters: [Waiter]
    }

    private struct State {
        var nextID = 1
        /// In the order they were asked: the terminal shows them one at a time, oldest first.
        var entries: [Entry] = []
        /// Answers "for this run", by request key: outcome and who gave it.
        var remembered: [String: ReviewResolution] = [:]
        /// Set once the run is over or interrupted: every review is then denied at once.
        var closedBy: String?
        /// Answers given ahead for one call each, by request key (`answerAhead`).
        var answeredAhead: [String: ReviewResolution] = [:]
        /// How the latest reviews ended, by ID, so that a reviewer who was too late (or a
        /// watcher) can be told who answered. Bounded: older ones are forgotten.
        var recentlyResolved: [Int: ReviewResolution] = [:]
    }

    private static let recentlyResolvedLimit = 256
    private static let abandoned = "nobody: the caller ended before an answer"

    public let approve: ApproveMode
    public let timeoutNanoseconds: UInt64
    private let state = Mutex(State())
    /// Becomes readable whenever the pending set changes, so that the approval server's
    /// poll loop wakes for it without a timer.
    private let changes: WakeChannel
    public var changeDescriptor: Int32 { changes.descriptor }

    public init(approve: ApproveMode, timeoutSeconds: Double) throws(SupervisorError) {
        self.approve = approve
        // Capped at 30 years: a longer timeout means "never", and must not overflow a deadline.
        timeoutNanoseconds = UInt64(min(max(timeoutSeconds, 0), 1e9) * 1e9)
        changes = try WakeChannel("reviews")
    }

    /// Submits a review. `reply` is called once with the answer: at once, on this thread,
    /// when nobody is to be asked; later, on whichever thread answers, otherwise.
    /// `stillWaiting` says whether the caller still waits (`dropAbandoned` asks it): a person
    /// should not be asked about a call whose process has ended.
    public func submit(
        _ request: ReviewRequest, now: UInt64 = Clock.monotonicNanoseconds(),
        stillWaiting: @escaping @Sendable () -> Bool = { true }, reply: @escaping Reply
    ) {
        let immediate: ReviewResolution? = state.withLock { state in
            if let automatic = approve.automaticResolution { return automatic }
            if let closedBy = state.closedBy { return ReviewResolution(outcome: .block, answeredBy: closedBy) }
            let key = request.key
            if let remembered = state.remembered[key] { return remembered }
            if let ahead = state.answeredAhead.removeValue(forKey: key) { return ahead }
            let waiter = Waiter(reply: reply, submittedNanoseconds: now, stillWaiting: stillWaiting)
            if let index = state.entries.firstIndex(where: { $0.pending.request.key == key }) {
                state.entries[index].waiters.append(waiter)
                let pending = state.entries[index].pending
                state.entries[index].pending = Pending(
                    id: pending.id, request: pending.request, askedNanoseconds: pending.askedNanoseconds,
                    deadlineNanoseconds: pending.deadlineNanoseconds, waitingCalls: pending.waitingCalls + 1)
                return nil
            }
            let pending = Pending(id: state.nextID, request: request, askedNanoseconds: now,
                                  deadlineNanoseconds: now + timeoutNanoseconds, waitingCalls: 1)
            state.nextID += 1
            state.entries.append(Entry(pending: pending, waiters: [waiter]))
            return nil
        }
        if let immediate {
            reply(immediate)
        } else {
            signalChange()
        }
    }

    /// Gives the next review of `request`'s rule and subject `resolution` without asking. The
    /// supervisor asks about COMMAND before it starts it; the backstop then sees that same
    /// exec when the launch makes it, and the person must not be asked twice about one call.
    public func answerAhead(_ request: ReviewRequest, with resolution: ReviewResolution) {
        state.withLock { $0.answeredAhead[request.key] = resolution }
    }

    /// The reviews waiting for an answer, oldest first.
    public var pending: [Pending] {
        state.withLock { $0.entries.map(\.pending) }
    }

    /// Answers review `id` for every call waiting on it; false when no such review is
    /// pending (answered meanwhile, timed out, or never asked).
    @discardableResult
    public func answer(_ id: Int, with answer: Answer, by reviewer: String, now: UInt64 = Clock.monotonicNanoseconds()) -> Bool {
        let resolved: Entry? = state.withLock { state in
            guard let index = state.entries.firstIndex(where: { $0.pending.id == id }) else { return nil }
            let entry = state.entries.remove(at: index)
            if answer.coversRun {
                state.remembered[entry.pending.request.key] = ReviewResolution(
                    outcome: answer.outcome, answeredBy: "\(reviewer), for this run (review \(id))")
            }
            return entry
        }
        guard let resolved else { return false }
        let by = answer.coversRun ? "\(reviewer), for this run" : reviewer
        deliver(resolved, outcome: answer.outcome, by: by, now: now)
        signalChange()
        return true
    }

    /// Denies the calls whose callers no longer wait (their processes ended) and drops the
    /// reviews that no call waits for any more. Returns how many reviews it dropped.
    @discardableResult
    public func dropAbandoned(now: UInt64 = Clock.monotonicNanoseconds()) -> Int {
        // Asked outside the lock: it reads /proc or makes an ioctl.
        let snapshot: [(id: Int, waiters: [Waiter])] = state.withLock { $0.entries.map { ($0.pending.id, $0.waiters) } }
        let gone: [(id: Int, indices: Set<Int>)] = snapshot.compactMap { entry in
            let indices = Set(entry.waiters.indices.filter { !entry.waiters[$0].stillWaiting() })
            return indices.isEmpty ? nil : (entry.id, indices)
        }
        guard !gone.isEmpty else { return 0 }
        let (abandoned, emptied): ([(Waiter, Pending)], Int) = state.withLock { state in
            var abandoned: [(Waiter, Pending)] = []
            var emptied = 0
            for (id, indices) in gone {
                guard let index = state.entries.firstIndex(where: { $0.pending.id == id }) else { continue }
                let entry = state.entries[index]
                // Between the two locks a review's waiters can only grow at the end (only this
                // function removes single waiters, and one thread calls it), so the indices
                // still name the waiters that were asked.
                abandoned += indices.map { (entry.waiters[$0], entry.pending) }
                let remaining = entry.waiters.indices.filter { !indices.contains($0) }.map { entry.waiters[$0] }
                if remaining.isEmpty {
                    state.entries.remove(at: index)
                    state.recentlyResolved[id] = ReviewResolution(
                        outcome: .block, answeredBy: PendingReviews.abandoned, reviewID: id)
                    emptied += 1
                } else {
                    let pending = entry.pending
                    state.entries[index].waiters = remaining
                    state.entries[index].pending = Pending(
                        id: pending.id, request: pending.request, askedNanoseconds: pending.askedNanoseconds,
                        deadlineNanoseconds: pending.deadlineNanoseconds, waitingCalls: remaining.count)
                }
            }
            return (abandoned, emptied)
        }
        for (waiter, pending) in abandoned {
            waiter.reply(ReviewResolution(
                outcome: .block, answeredBy: PendingReviews.abandoned, reviewID: pending.id,
                waitedNanoseconds: now > waiter.submittedNanoseconds ? now - waiter.submittedNanoseconds : 0))
        }
        if !abandoned.isEmpty { signalChange() }
        return emptied
    }

    /// Denies every review whose deadline has passed and returns the next deadline, if any.
    @discardableResult
    public func expire(now: UInt64 = Clock.monotonicNanoseconds()) -> UInt64? {
        let (expired, next): ([Entry], UInt64?) = state.withLock { state in
            let expired = state.entries.filter { $0.pending.deadlineNanoseconds <= now }
            state.entries.removeAll { $0.pending.deadlineNanoseconds <= now }
            return (expired, state.entries.map(\.pending.deadlineNanoseconds).min())
        }
        for entry in expired {
            deliver(entry, outcome: .block, by: "timeout after \(timeoutDescription) (--approval-timeout)", now: now)
        }
        if !expired.isEmpty { signalChange() }
        return next
    }

    /// Denies every pending review and every later one, saying `reason` (the run ends).
    /// Returns how many pending reviews it denied.
    @discardableResult
    public func close(_ reason: String, now: UInt64 = Clock.monotonicNanoseconds()) -> Int {
        close(reason, onlyIfPending: false, now: now)
    }

    /// As `close`, but only when a review is pending: a person who interrupts the run while
    /// it waits for their answers wants it to stop, not to be asked again; an interrupt with
    /// nothing pending changes nothing here.
    public func interrupt(_ reason: String, now: UInt64 = Clock.monotonicNanoseconds()) -> Int {
        close(reason, onlyIfPending: true, now: now)
    }

    private func close(_ reason: String, onlyIfPending: Bool, now: UInt64) -> Int {
        let denied: [Entry] = state.withLock { state in
            if onlyIfPending && state.entries.isEmpty { return [] }
            if state.closedBy == nil { state.closedBy = reason }
            defer { state.entries.removeAll() }
            return state.entries
        }
        for entry in denied {
            deliver(entry, outcome: .block, by: reason, now: now)
        }
        signalChange()
        return denied.count
    }

    /// Makes `changeDescriptor` unreadable again (the approval server calls it when it wakes).
    public func acknowledgeChanges() {
        changes.drain()
    }

    /// How review `id` ended, while it is among the latest few resolved.
    public func resolution(of id: Int) -> ReviewResolution? {
        state.withLock { $0.recentlyResolved[id] }
    }

    private func deliver(_ entry: Entry, outcome: Action, by reviewer: String, now: UInt64) {
        let id = entry.pending.id
        state.withLock { state in
            state.recentlyResolved[id] = ReviewResolution(
                outcome: outcome, answeredBy: reviewer, reviewID: id,
                waitedNanoseconds: now > entry.pending.askedNanoseconds ? now - entry.pending.askedNanoseconds : 0)
            state.recentlyResolved[id - PendingReviews.recentlyResolvedLimit] = nil
        }
        for waiter in entry.waiters {
            waiter.reply(ReviewResolution(
                outcome: outcome, answeredBy: reviewer, reviewID: entry.pending.id,
                waitedNanoseconds: now > waiter.submittedNanoseconds ? now - waiter.submittedNanoseconds : 0))
        }
    }

    /// "60 s", "1.5 s": the timeout as a person wrote it on the command line.
    public var timeoutDescription: String {
        let seconds = Double(timeoutNanoseconds) / 1e9
        return seconds == seconds.rounded() ? "\(Int64(seconds)) s" : "\(seconds) s"
    }

    private func signalChange() {
        changes.signal()
    }
}
