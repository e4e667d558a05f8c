import AgentFirewallOS
import AgentFirewallPolicy
import Glibc

/// Where people answer reviews while the agent waits: the controlling terminal (one question
/// at a time, oldest first) and the run's control socket (`agentfirewall approvals`, or any
/// program speaking `ApprovalsProtocol`). One thread serves both and runs the reviews'
/// timeouts; it never waits on anything but poll.
public final class ApprovalServer: @unchecked Sendable {
    // @unchecked: `clients` and `terminal` belong to the server thread; `stop` joins it
    // before it touches them.

    /// The run's name in `agentfirewall approvals --run`.
    public let run: String
    public let socketPath: String
    private let runDirectory: String
    private let reviews: PendingReviews
    private let listener: Int32
    private let stopRequest: WakeChannel
    /// The seccomp filters the supervisor's own threads run under (none, unless whoever
    /// started it confined it too); every process of the agent runs under more.
    private let ownSeccompFilters: Int?
    private var terminal: TerminalPrompt?
    private var clients: [Client] = []
    private var thread: OSThread?
    /// How soon a question about a call whose process has ended leaves the terminal.
    private static let abandonedCheckMilliseconds: Int32 = 1000

    private struct Client {
        let descriptor: Int32
        /// Who is at the other end, for the audit's answered_by.
        let pid: Int32
        var input: [UInt8] = []
        var watching = false
        /// Reviews this watcher has been told about and not yet told the end of.
        var announced: Set<Int> = []
    }

    /// Creates the control socket and opens the controlling terminal, if there is one. Call
    /// before the agent starts: a review may come with its first call.
    public init(reviews: PendingReviews) throws(SupervisorError) {
        self.reviews = reviews
        run = String(getpid())
        let user = try ApprovalsDirectory.user(create: true)
        runDirectory = try ApprovalsDirectory.run(run, in: user)
        socketPath = runDirectory + "/" + ApprovalsDirectory.socketName
        // A supervisor that died left its socket; its pid, our name, was free for us to take.
        unlink(socketPath)
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        guard descriptor >= 0 else {
            throw SupervisorError(.system, "cannot create the control socket: \(String(cString: strerror(errno)))")
        }
        // Bound under a temporary name and renamed into place once it listens: bind makes
        // the file, and a client that saw it and connected before listen() would be refused.
        let preparingPath = socketPath + ".new"
        unlink(preparingPath)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(preparingPath.utf8)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else {
            close(descriptor)
            throw SupervisorError(.system, "the control socket path \(socketPath) is longer than \(capacity - 1) bytes; set XDG_RUNTIME_DIR to a shorter directory")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        // The directory (0700) already keeps others out; 0600 on the socket says the same
        // to anyone who looks, and holds if the directory's mode is ever loosened.
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, chmod(preparingPath, 0o600) == 0, listen(descriptor, 16) == 0,
              rename(preparingPath, socketPath) == 0
        else {
            let reason = String(cString: strerror(errno))
            unlink(preparingPath)
            close(descriptor)
            throw SupervisorError(.system, "cannot listen on the control socket \(socketPath): \(reason)")
        }
        do {
            stopRequest = try WakeChannel("approval server")
        } catch {
            close(descriptor)
            throw error
        }
        listener = descriptor
        terminal = TerminalPrompt()
        asksOnTerminal = terminal != nil
        // This thread never carries the agent's filters (Launcher loads them on a thread of their own).
        ownSeccompFilters = ProcessAncestry.seccompFilterCount(statusPath: "/proc/thread-self/status")
    }

    deinit {
        close(listener)
    }

    /// Whether questions are asked on a terminal: the supervisor has a controlling one.
    public let asksOnTerminal: Bool

    public func start() throws(OSError) {
        thread = try OSThread { [self] in serve() }
    }

    /// Stops serving and removes the socket; the terminal gets its modes back. Deny what is
    /// still pending first (`PendingReviews.close`), or its callers wait for the timeout.
    public func stop() {
        stopRequest.signal()
        thread.take()?.join()
        terminal?.conclude(nil)
        terminal = nil
        for client in clients { close(client.descriptor) }
        clients.removeAll()
        unlink(socketPath)
        rmdir(runDirectory)
    }

    private func serve() {
        while true {
            let now = Clock.monotonicNanoseconds()
            reviews.dropAbandoned(now: now)
            let nextDeadline = reviews.expire(now: now)
            let pending = reviews.pending
            updateTerminal(pending, now: now)
            announce(pending, now: now)

            var descriptors = [
                pollfd(fd: stopRequest.descriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: reviews.changeDescriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: listener, events: Int16(POLLIN), revents: 0),
                // A negative descriptor is skipped by poll: the terminal is read only while it asks.
                pollfd(fd: terminal.flatMap { $0.shownID != nil ? $0.descriptor : nil } ?? -1, events: Int16(POLLIN), revents: 0),
            ]
            descriptors += clients.map { pollfd(fd: $0.descriptor, events: Int16(POLLIN), revents: 0) }
            // While reviews wait, wake at least every second to notice callers that ended.
            let timeout = nextDeadline.map {
                min(Int32(clamping: ($0 - min($0, now)) / 1_000_000 + 1), ApprovalServer.abandonedCheckMilliseconds)
            } ?? -1
            guard poll(&descriptors, nfds_t(descriptors.count), timeout) >= 0 else { continue }
            if descriptors[0].revents != 0 { return }
            if descriptors[1].revents != 0 { reviews.acknowledgeChanges() }
            if descriptors[2].revents != 0 { accept() }
            if descriptors[3].revents != 0 { readTerminal() }
            var closed: Set<Int32> = []
            for (index, descriptor) in descriptors.dropFirst(4).enumerated() where descriptor.revents != 0 {
                if !serveClient(at: index) { closed.insert(descriptor.fd) }
            }
            for descriptor in closed { close(descriptor) }
            clients.removeAll { closed.contains($0.descriptor) }
        }
    }

    private func updateTerminal(_ pending: [PendingReviews.Pending], now: UInt64) {
        guard let terminal else { return }
        if let shown = terminal.shownID, !pending.contains(where: { $0.id == shown }) {
            terminal.conclude(reviews.resolution(of: shown))
        }
        if terminal.shownID == nil, let first = pending.first {
            terminal.show(first, queued: pending.count - 1, now: now)
        }
    }

    private func readTerminal() {
        guard let terminal, let shown = terminal.shownID else { return }
        switch terminal.read() {
        case .answered(let answer):
            reviews.answer(shown, with: answer, by: "terminal")
        case .waiting:
            break
        case .gone:
            // Nobody can answer there any more; the socket and the timeout still can.
            terminal.conclude(nil)
            self.terminal = nil
        }
    }

    private func accept() {
        while let peer = UnixSocket.accept(listener) {
            // The socket's directory admits only us; this holds even if someone passed a
            // connected descriptor on: only our user (or root) answers our reviews.
            guard peer.uid == getuid() || peer.uid == 0 else {
                close(peer.descriptor)
                continue
            }
            // The agent runs as our user and can find the socket: a process under the
            // agent's seccomp filters is the agent (or something it started), which must not
            // answer its own reviews. Unknown counts (an old kernel, a peer already gone)
            // refuse too, except when our own count is unknown: then nobody could be told apart.
            if let own = ownSeccompFilters {
                let peerFilters = ProcessAncestry.seccompFilterCount(statusPath: "/proc/\(peer.pid)/status")
                guard let peerFilters, peerFilters <= own else {
                    let refusal = ApprovalsProtocol.line(["error": "refused: pid \(peer.pid) runs under the firewall; the agent cannot answer its own reviews"])
                    _ = refusal.withUnsafeBytes { Glibc.send(peer.descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                    close(peer.descriptor)
                    continue
                }
            }
            clients.append(Client(descriptor: peer.descriptor, pid: peer.pid))
        }
    }

    /// Reads and answers a client's requests; false when it has gone (or misbehaved) and
    /// must be dropped.
    private func serveClient(at index: Int) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = read(clients[index].descriptor, &buffer, buffer.count)
        if count == 0 { return false }
        if count < 0 { return errno == EAGAIN || errno == EINTR }
        clients[index].input += buffer.prefix(count)
        while let newline = clients[index].input.firstIndex(of: UInt8(ascii: "\n")) {
            let line = Array(clients[index].input[..<newline])
            clients[index].input.removeSubrange(...newline)
            if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\r") }) { continue }
            if !send(respond(to: line, client: index), to: index) { return false }
        }
        if clients[index].input.count > ApprovalsProtocol.maximumLineLength {
            _ = send(["error": "request line longer than \(ApprovalsProtocol.maximumLineLength) bytes"], to: index)
            return false
        }
        return true
    }

    private func respond(to line: [UInt8], client index: Int) -> [String: Any] {
        let request: ApprovalsProtocol.Request
        do {
            request = try ApprovalsProtocol.parse(line)
        } catch {
            return ["error": error.description]
        }
        let now = Clock.monotonicNanoseconds()
        switch request {
        case .list:
            return ["reviews": reviews.pending.map { ApprovalsProtocol.review($0, run: run, now: now) }]
        case .watch:
            // The current reviews follow as events, from the loop, like every later one.
            clients[index].watching = true
            return ["watching": run]
        case .answer(let id, let answer, let reviewer):
            let who = "socket" + (reviewer.map { ": \($0)" } ?? "") + " (pid \(clients[index].pid))"
            if reviews.answer(id, with: answer, by: who) {
                var reply = ApprovalsProtocol.resolved(id, reviews.resolution(of: id))
                reply["answered"] = id
                return reply
            }
            if let earlier = reviews.resolution(of: id) {
                return ["error": "review \(id) was already \(earlier.outcome == .allow ? "allowed" : "denied") (\(earlier.answeredBy))"]
            }
            return ["error": "no review \(id) is pending in run \(run)"]
        }
    }

    /// Tells watchers about reviews that appeared or ended since they last heard.
    private func announce(_ pending: [PendingReviews.Pending], now: UInt64) {
        let current = Set(pending.map(\.id))
        var failed: Set<Int32> = []
        for index in clients.indices where clients[index].watching {
            for ended in clients[index].announced.subtracting(current).sorted() {
                var event = ApprovalsProtocol.resolved(ended, reviews.resolution(of: ended))
                event["event"] = "resolved"
                if !send(event, to: index) { failed.insert(clients[index].descriptor) }
            }
            for review in pending where !clients[index].announced.contains(review.id) {
                let event: [String: Any] = ["event": "pending", "review": ApprovalsProtocol.review(review, run: run, now: now)]
                if !send(event, to: index) { failed.insert(clients[index].descriptor) }
            }
            clients[index].announced = current
        }
        for descriptor in failed { close(descriptor) }
        clients.removeAll { failed.contains($0.descriptor) }
    }

    /// Writes one reply line without waiting: a client that does not read its replies is
    /// dropped rather than allowed to stall the thread that answers every review.
    private func send(_ object: [String: Any], to index: Int) -> Bool {
        let line = ApprovalsProtocol.line(object)
        let written = line.withUnsafeBytes { Glibc.send(clients[index].descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        return written == line.count
    }
}
