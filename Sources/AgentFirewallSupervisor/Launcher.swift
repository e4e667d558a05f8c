import AgentFirewallOS
import Glibc

/// Starts the agent and stays its parent until it ends: forwards the signals sent to the
/// supervisor and reaps every child.
///
/// Signals are handled synchronously: the supervisor blocks them in every thread (the mask
/// is set before any thread starts) and the main thread takes them with sigwaitinfo. No
/// handler runs at an arbitrary point of Swift code, and a signal that arrives while the
/// run is being set up waits until the agent exists to receive it.
public final class Launcher {
    /// Signals a user or a process manager sends to stop or poke a command. Forwarded only
    /// when a process sent them with kill() (si_code <= 0): a terminal's Ctrl-C or Ctrl-\
    /// already goes to the whole foreground process group, agent included, and forwarding
    /// it again would deliver it twice.
    public static let forwardedSignals: [Int32] = [SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2]

    private let waitedSignals = SignalSet(Launcher.forwardedSignals + [SIGCHLD])
    private static let reapIntervalMilliseconds = 250

    /// Blocks the handled signals in the calling thread; call before starting any thread.
    public init() throws(SupervisorError) {
        do {
            // SIGPIPE too: a write to a closed stderr or audit pipe then fails with EPIPE
            // instead of killing the supervisor and leaving the agent without one.
            // SIGTTOU and SIGTTIN: a review question takes the terminal's foreground from the
            // agent's job (TerminalPrompt); with them blocked, the kernel lets a background
            // process do that instead of stopping it.
            try Signals.block(SignalSet(Launcher.forwardedSignals + [SIGCHLD, SIGPIPE, SIGTTOU, SIGTTIN]))
            // Whoever started us may have set SIGCHLD to SIG_IGN; the kernel would then reap
            // our children itself and waitpid could never report the agent's status.
            if Signals.isIgnored(SIGCHLD) { try Signals.restoreDefault(SIGCHLD) }
        } catch {
            throw SupervisorError(.system, "cannot set up signal handling: \(error)", cause: error)
        }
    }

    /// Why `start` failed.
    public enum StartError: Error, Sendable {
        /// A backstop filter could not be installed (or its thread not started); nothing ran.
        case backstop(OSError)
        /// posix_spawn failed (ENOENT, EACCES... from the exec).
        case spawn(OSError)
    }

    /// The seccomp filters the agent starts under.
    public struct Confinement: Sendable {
        /// The deny list (`SeccompDenyList`); loading it also sets no_new_privs.
        public let denyList: SeccompFilter
        /// The notifying filter, when the supervisor serves one.
        public let notifying: Notifying?

        public struct Notifying: Sendable {
            public let mode: BackstopMode
            /// Takes the filter's listener. Called on the launch thread, after the filter is
            /// installed and before the program starts; it must hand the descriptor to a
            /// thread that already runs (a thread started from the launch thread would
            /// inherit the filter, and its own calls would wait for itself).
            public let adoptListener: @Sendable (Int32) -> Void

            public init(mode: BackstopMode, adoptListener: @escaping @Sendable (Int32) -> Void) {
                self.mode = mode
                self.adoptListener = adoptListener
            }
        }

        public init(denyList: SeccompFilter, notifying: Notifying?) {
            self.denyList = denyList
            self.notifying = notifying
        }
    }

    /// Starts the program. The child gets an empty signal mask (a mask survives exec, and
    /// ours would make the agent deaf to Ctrl-C) and SIGCHLD back at its default; other
    /// dispositions pass on as they reached us, as a shell passes them (so `nohup` and
    /// background jobs keep their ignored SIGHUP or SIGINT).
    ///
    /// With a `confinement`, the program starts under its seccomp filters. They are loaded
    /// on a thread started for this one spawn, which ends right after: seccomp filters and
    /// no_new_privs belong to a thread and pass to the processes it creates, so the agent
    /// inherits them and the supervisor's other threads never carry them (the supervisor may
    /// need what the agent may not, and its own opens must not wait for its own answers). A
    /// forked helper would have to install the filters between fork and exec, where the forked
    /// copy of a multi-threaded Swift process must not run Swift code (a lock held by another
    /// thread at fork stays held forever); a thread needs no such care.
    public func start(
        program: String, arguments: [String], environment: [[UInt8]], confinement: Confinement? = nil
    ) throws(StartError) -> pid_t {
        guard let confinement else {
            do {
                return try Launcher.spawn(program: program, arguments: arguments, environment: environment)
            } catch {
                throw .spawn(error)
            }
        }
        final class Outcome: @unchecked Sendable {
            var result: Result<pid_t, StartError>?
        }
        let outcome = Outcome()
        do throws(OSError) {
            let thread = try OSThread {
                do throws(OSError) {
                    try confinement.denyList.loadOnCurrentThread()
                    if let notifying = confinement.notifying {
                        let listener = try SeccompNotifyFilter.installOnCurrentThread(
                            exemptingShimGadget: notifying.mode == .standard)
                        notifying.adoptListener(listener)
                    }
                } catch {
                    outcome.result = .failure(.backstop(error))
                    return
                }
                // glibc's posix_spawn tries clone3 first; the filter answers ENOSYS, and glibc
                // falls back to clone(CLONE_VM | CLONE_VFORK), which the filter allows. Its
                // exec is the agent's first notified call.
                do throws(OSError) {
                    outcome.result = .success(try Launcher.spawn(program: program, arguments: arguments, environment: environment))
                } catch {
                    outcome.result = .failure(.spawn(error))
                }
            }
            thread.join()
        } catch {
            throw .backstop(error)
        }
        // join() makes the thread's write visible, and the thread sets a result on every path.
        return try outcome.result!.get()
    }

    private static func spawn(program: String, arguments: [String], environment: [[UInt8]]) throws(OSError) -> pid_t {
        try ProcessSpawn.spawn(
            path: program, arguments: arguments, environment: environment,
            signalMask: SignalSet(), defaultSignals: SignalSet([SIGCHLD]))
    }

    /// How an agent is stopped after `interrupt`: each signal in turn, at its delay after the
    /// interrupt, until the agent has ended. SIGTERM asks a program to stop; an interactive
    /// shell ignores it but ends on SIGHUP (and passes SIGHUP on to its jobs), as when its
    /// terminal closes; SIGKILL is for an agent that ignores both.
    static let stopSequence: [(signal: Int32, delayNanoseconds: UInt64)] = [
        (SIGTERM, 0), (SIGHUP, 2_000_000_000), (SIGKILL, 5_000_000_000),
    ]

    /// Forwards signals and reaps children until the agent ends.
    ///
    /// `interrupt` is asked on every SIGINT; when it returns true (a person interrupted a
    /// run that waits for their answers), the agent is stopped (`stopSequence`): the person
    /// asked for the run to stop, and an agent that ignores SIGINT, or was never sent it (its
    /// job is not the terminal's foreground group while a question is shown), would keep it
    /// going.
    public func waitForExit(of agent: pid_t, interrupt: () -> Bool = { false }) throws(OSError) -> ProcessTermination {
        var interruptedAt: UInt64?
        var stopSignalsSent = 0
        while true {
            if let interruptedAt {
                let elapsed = Clock.monotonicNanoseconds() - interruptedAt
                while stopSignalsSent < Launcher.stopSequence.count,
                      Launcher.stopSequence[stopSignalsSent].delayNanoseconds <= elapsed {
                    try? Signals.send(Launcher.stopSequence[stopSignalsSent].signal, to: agent)
                    stopSignalsSent += 1
                }
            }
            let signal = try Signals.wait(for: waitedSignals, timeoutMilliseconds: Launcher.reapIntervalMilliseconds)
            if let signal, signal.number != SIGCHLD {
                if signal.number == SIGINT && interruptedAt == nil && interrupt() {
                    interruptedAt = Clock.monotonicNanoseconds()
                } else if signal.wasSentByProcess {
                    // ESRCH: the agent has just ended; the reaping below sees it.
                    try? Signals.send(signal.number, to: agent)
                }
                continue
            }
            // A SIGCHLD, or the timeout. SIGCHLD is not queued: one delivery may stand for
            // several ended children. And a thread that some library started before we
            // blocked signals would swallow SIGCHLD (its default action discards it), so
            // the timeout reaps too: the run can end late, never hang on a zombie.
            // Every ended child is reaped, not only the agent: as PID 1 in a container,
            // orphans are re-parented to us and would stay zombies otherwise.
            var agentTermination: ProcessTermination?
            while let child = try ChildProcesses.reapAny() {
                if child.pid == agent { agentTermination = child.termination }
            }
            if let agentTermination { return agentTermination }
        }
    }
}
