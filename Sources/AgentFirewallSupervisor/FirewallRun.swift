import AgentFirewallOS
import AgentFirewallPolicy
import CInterposeCore
import Glibc
import Synchronization

/// `agentfirewall run`: everything between a loaded policy and the agent's exit status.
public struct FirewallRun {
    public struct Configuration: Sendable {
        public var policy: Policy
        public var context: PolicyContext
        /// COMMAND and its arguments.
        public var command: [String]
        public var auditPath: String?
        public var monitor: Bool
        public var quiet: Bool
        public var approve: ApproveMode
        /// How long a review waits for a person's answer before it is denied (`--approval-timeout`).
        public var approvalTimeoutSeconds: Double
        /// The seccomp backstop COMMAND starts under: the deny list (`SeccompDenyList`) and
        /// the notifying filter served by `BackstopServer`. nil only with --no-backstop.
        public var backstop: BackstopMode?

        public init(
            policy: Policy, context: PolicyContext, command: [String], auditPath: String?, monitor: Bool, quiet: Bool,
            approve: ApproveMode, approvalTimeoutSeconds: Double = 60, backstop: BackstopMode? = .standard
        ) {
            self.policy = policy
            self.context = context
            self.command = command
            self.auditPath = auditPath
            self.monitor = monitor
            self.quiet = quiet
            self.approve = approve
            self.approvalTimeoutSeconds = approvalTimeoutSeconds
            self.backstop = backstop
        }
    }

    /// Exit status when the policy blocks COMMAND itself: the shell's "found but cannot be
    /// invoked", as for a file without the x bit.
    public static let commandBlockedStatus: Int32 = 126
    /// Exit status when COMMAND cannot be found (the shell's, and env(1)'s).
    public static let commandNotFoundStatus: Int32 = 127

    private let configuration: Configuration

    public init(_ configuration: Configuration) {
        self.configuration = configuration
    }

    /// Runs COMMAND under the firewall and returns the status agentfirewall exits with: the
    /// agent's (128 + N when signal N killed it), 126/127 when COMMAND is blocked or not
    /// found. Throws when the firewall itself fails; COMMAND has not started then, or it
    /// has ended and the audit could not be completed.
    public func run() throws(SupervisorError) -> Int32 {
        precondition(!configuration.command.isEmpty, "the command line parser requires COMMAND")
        let launcher = try Launcher()
        let workingDirectory = configuration.context.workingDirectory
        let preloadLibrary = try PreloadLibrary.locate(workingDirectory: workingDirectory)
        let denyList: SeccompFilter?
        do {
            denyList = configuration.backstop != nil ? try SeccompDenyList.makeFilter() : nil
        } catch {
            throw SupervisorError(.system, "cannot build the seccomp backstop (\(error)); is libseccomp current? --no-backstop runs without it", cause: error)
        }
        let audit = try configuration.auditPath.map { path throws(SupervisorError) in
            do {
                return try AuditWriter(creatingAt: path)
            } catch {
                throw SupervisorError(.auditCreate, "cannot create the audit file \(path): \(error)", cause: error)
            }
        }
        let engine = Engine(CompiledPolicy(configuration.policy))
        let reviews = try PendingReviews(approve: configuration.approve, timeoutSeconds: configuration.approvalTimeoutSeconds)
        // Nobody is asked in monitor mode (nothing is enforced), so no one needs the socket.
        let approvals = configuration.approve == .ask && !configuration.monitor
            ? try ApprovalServer(reviews: reviews) : nil
        if let approvals, !approvals.asksOnTerminal {
            // Whoever started an asking run without a terminal must learn where the questions go.
            StandardError.writeLine("agentfirewall: no terminal to ask on; reviews wait for `agentfirewall approvals --run \(approvals.run)` and are denied after \(reviews.timeoutDescription)")
        }
        do {
            try approvals?.start()
        } catch {
            throw SupervisorError(.system, "cannot start the approval thread: \(error)", cause: error)
        }
        // Whatever ends the run: later reviews are denied, pending ones too (their callers
        // are told, and the audit says so), and the socket goes away.
        defer {
            reviews.close("the run ended")
            approvals?.stop()
        }
        var options: Session.Options = []
        if configuration.monitor { options.insert(.monitor) }
        if configuration.quiet { options.insert(.quiet) }
        if audit != nil { options.insert(.audit) }
        let session = try Session(table: engine.compiled.table, options: options)
        defer { session.close() }

        let program: String
        switch ProgramSearch.resolve(
            configuration.command[0], searchPath: CurrentProcess.environmentValue("PATH"), workingDirectory: workingDirectory)
        {
        case .success(let path):
            program = path
        case .failure(.notFound):
            StandardError.writeLine("agentfirewall: \(configuration.command[0]): command not found")
            return try finishAudit(audit, session: session, report: nil, exitStatus: FirewallRun.commandNotFoundStatus)
        case .failure(.notExecutable(let path)):
            StandardError.writeLine("agentfirewall: \(path): not an executable file")
            return try finishAudit(audit, session: session, report: nil, exitStatus: FirewallRun.commandBlockedStatus)
        }

        guard decideCommand(program: program, engine: engine, reviews: reviews, audit: audit) else {
            return try finishAudit(audit, session: session, report: nil, exitStatus: FirewallRun.commandBlockedStatus)
        }
        if configuration.backstop == .standard {
            // COMMAND is decided and recorded: its exec, the backstop's first call, is not again.
            afw_spawn_token_put(session.header, CurrentProcess.pid, program, Clock.monotonicNanoseconds())
        }

        session.markLive()
        let server = RingServer(session: session, engine: engine, reviews: reviews,
                                monitor: configuration.monitor, audit: audit)
        do {
            try server.start()
        } catch {
            throw SupervisorError(.system, "cannot start the ring server thread: \(error)", cause: error)
        }
        // What the shim does not see (static binaries, raw system calls, libc's own opens)
        // comes here through seccomp user notification.
        let backstopServer = configuration.backstop == nil ? nil : try BackstopServer(
            engine: engine, reviews: reviews, monitor: configuration.monitor, quiet: configuration.quiet,
            audit: audit, countsAllowed: configuration.policy.auditAllowed == .count,
            spawnTokens: configuration.backstop == .standard ? session.header : nil)
        do {
            try backstopServer?.start()
        } catch {
            _ = server.finish()
            throw SupervisorError(.system, "cannot start the backstop thread: \(error)", cause: error)
        }
        let environment = AgentEnvironment.build(
            inherited: CurrentProcess.environment(), preloadLibrary: preloadLibrary, segmentName: session.name,
            backstop: configuration.backstop)
        let confinement = denyList.map { denyList in
            Launcher.Confinement(denyList: denyList, notifying: backstopServer.map { server in
                Launcher.Confinement.Notifying(mode: configuration.backstop ?? .standard) { server.adopt(listener: $0) }
            })
        }
        let agent: pid_t
        do {
            agent = try launcher.start(
                program: program, arguments: configuration.command, environment: environment, confinement: confinement)
        } catch {
            session.markDead()
            switch error {
            case .backstop(let cause):
                backstopServer?.stop()
                _ = server.finish()
                let why = cause.errno == EBUSY
                    ? "this process already runs under a seccomp filter with a listener (agentfirewall inside agentfirewall?)"
                    : "this kernel or container does not allow seccomp filters with user notification (Linux 5.0+)"
                throw SupervisorError(
                    .system,
                    "cannot install the seccomp backstop (\(cause)): \(why); \(configuration.command[0]) was not started (--no-backstop runs it without the backstop)",
                    cause: cause)
            case .spawn(let cause):
                backstopServer?.stop()
                let report = server.finish()
                StandardError.writeLine("agentfirewall: cannot start \(program): \(cause)")
                let status = cause.errno == ENOENT ? FirewallRun.commandNotFoundStatus : FirewallRun.commandBlockedStatus
                return try finishAudit(audit, session: session, report: report, backstop: backstopServer, exitStatus: status)
            }
        }
        let termination: ProcessTermination
        do {
            termination = try launcher.waitForExit(of: agent) {
                reviews.interrupt("interrupted (SIGINT) while waiting for an answer") > 0
            }
        } catch {
            // Only sigwaitinfo or waitpid failing, which their arguments rule out; the agent
            // may still run, so it must not outlive a supervisor that stops serving it.
            kill(agent, SIGKILL)
            session.markDead()
            backstopServer?.stop()
            _ = server.finish()
            throw SupervisorError(.internalFailure, "lost track of the agent (pid \(agent)): \(error); it was killed", cause: error)
        }
        // Dead first: processes the agent left behind get denials from now on instead of
        // waiting for answers, so the final drain ends.
        session.markDead()
        reviews.close("the run ended")
        backstopServer?.stop()
        let report = server.finish()
        return try finishAudit(audit, session: session, report: report, backstop: backstopServer, exitStatus: termination.shellStatus)
    }

    /// Decides COMMAND itself: the supervisor execs it, so no shim sees that exec. Returns
    /// whether it may start; when not, the same line the shim prints for a blocked exec
    /// has been printed. A review of it is asked like any other, before anything runs.
    private func decideCommand(program: String, engine: Engine, reviews: PendingReviews, audit: AuditWriter?) -> Bool {
        let started = Clock.monotonicNanoseconds()
        let decision = engine.decide(.exec(program: program, argv: configuration.command))
        var review: ReviewResolution?
        if decision.action == .review {
            let request = ReviewRequest(
                surface: .exec, subject: ReviewRequest.subject(.exec(program: Array(program.utf8), argv: configuration.command.map { Array($0.utf8) })),
                operation: "posix_spawn",
                process: ProcessLink(pid: CurrentProcess.pid, executable: (try? CurrentProcess.executablePath()) ?? ""),
                parents: [], ruleID: decision.ruleID, reason: decision.reason)
            review = configuration.monitor ? reviews.approve.monitorResolution : FirewallRun.wait(for: request, in: reviews)
            if review?.outcome == .allow && configuration.backstop != nil {
                reviews.answerAhead(request, with: review!)
            }
        }
        let blocked = decision.action == .block || review?.outcome == .block
        audit?.write(AuditRecord(
            timeNanoseconds: Clock.realtimeNanoseconds(), pid: CurrentProcess.pid, parentPID: CurrentProcess.parentPID,
            executable: Array(((try? CurrentProcess.executablePath()) ?? "").utf8), operation: Array("posix_spawn".utf8),
            subject: .exec(program: Array(program.utf8), argv: configuration.command.map { Array($0.utf8) }),
            decision: decision, monitor: configuration.monitor, path: .slow,
            latencyNanoseconds: Clock.monotonicNanoseconds() - started, review: review))
        guard blocked, !configuration.monitor else { return true }
        if !configuration.quiet {
            // Word for word what the shim prints for an exec it blocks (CInterpose/Preload/report.c).
            let reason = review != nil ? "review denied: \(decision.reason)" : decision.reason
            StandardError.writeLine("agentfirewall: blocked exec \(configuration.command.joined(separator: " ")) (rule \(decision.ruleID ?? "default")): \(reason)")
        }
        return false
    }

    private static let stopSignals = SignalSet([SIGINT, SIGTERM, SIGHUP, SIGQUIT])

    private static func name(of signal: Int32) -> String {
        switch signal {
        case SIGINT: "SIGINT"
        case SIGTERM: "SIGTERM"
        case SIGHUP: "SIGHUP"
        default: "SIGQUIT"
        }
    }

    /// Submits a review and waits for its answer on this thread (COMMAND's own review: there
    /// is nothing else for the main thread to do until it is answered).
    private static func wait(for request: ReviewRequest, in reviews: PendingReviews) -> ReviewResolution {
        let answer = Mutex<ReviewResolution?>(nil)
        reviews.submit(request) { resolution in
            answer.withLock { $0 = resolution }
        }
        while answer.withLock({ $0 == nil }) {
            // The main thread takes the stop signals here, as Launcher does once COMMAND runs:
            // Ctrl-C (or a process manager's SIGTERM) while COMMAND's own question waits denies
            // it, and COMMAND never starts. Waiting in steps of 100 ms for either is no delay a
            // person answering notices.
            if let signal = try? Signals.wait(for: FirewallRun.stopSignals, timeoutMilliseconds: 100) {
                _ = reviews.interrupt("interrupted (\(FirewallRun.name(of: signal.number))) while waiting for an answer")
            }
        }
        return answer.withLock { $0! }
    }

    /// `backstop`, when given, has stopped: its count is final.
    private func finishAudit(
        _ audit: AuditWriter?, session: Session, report: RingServer.Report?, backstop: BackstopServer? = nil,
        exitStatus: Int32
    ) throws(SupervisorError) -> Int32 {
        guard let audit else { return exitStatus }
        let summary = AuditSummary(
            dropped: session.droppedEvents, malformed: report?.malformed ?? 0, allowedCounted: session.allowedCounted + (backstop?.allowedCounted ?? 0),
            policyName: configuration.policy.name, policySource: configuration.policy.sourcePath,
            context: configuration.context, monitor: configuration.monitor, exitStatus: exitStatus)
        if let error = audit.finish(with: summary) {
            throw SupervisorError(.auditWrite, "the audit file \(audit.path) is incomplete (\(error)); the command exited with status \(exitStatus)", cause: error)
        }
        return exitStatus
    }
}
