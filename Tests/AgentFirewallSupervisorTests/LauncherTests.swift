import AgentFirewallOS
import AgentFirewallSupervisor
import Foundation
import Testing

/// Runs a Launcher on a thread of its own: the Launcher blocks signals in the calling thread,
/// which must not leak into the test runner's threads.
func launch(
    _ arguments: [String], confinement: Launcher.Confinement? = nil, afterStart: @escaping @Sendable (pid_t) -> Void = { _ in }
) throws -> ProcessTermination {
    final class Outcome: @unchecked Sendable {
        var result: Result<ProcessTermination, any Error> = .failure(CancellationError())
    }
    let outcome = Outcome()
    let thread = try OSThread {
        outcome.result = Result {
            let launcher = try Launcher()
            let environment = CurrentProcess.environment()
            let pid = try launcher.start(
                program: "/bin/sh", arguments: arguments, environment: environment, confinement: confinement)
            afterStart(pid)
            return try launcher.waitForExit(of: pid)
        }
    }
    thread.join()
    return try outcome.result.get()
}

// Serialized: the launcher reaps any child (waitpid(-1)), so two at once would take each
// other's children.
@Suite(.serialized) struct LauncherTests {
    @Test func exitStatusIsPassedThrough() throws {
        let termination = try launch(["sh", "-c", "exit 3"])
        #expect(termination == .exited(3))
        #expect(termination.shellStatus == 3)
    }

    @Test func deathBySignalIs128PlusTheSignal() throws {
        let termination = try launch(["sh", "-c", "kill -TERM $$"])
        #expect(termination == .signaled(SIGTERM))
        #expect(termination.shellStatus == 128 + SIGTERM)
    }

    @Test func theChildStartsWithAnEmptySignalMask() throws {
        // SigBlk in /proc/self/status is the blocked mask in hex; the supervisor's own mask
        // (SIGINT, SIGTERM, SIGCHLD...) must not reach the agent.
        let termination = try launch(["sh", "-c", "grep -q '^SigBlk:[[:space:]]*0*$' /proc/self/status"])
        #expect(termination == .exited(0))
    }

    @Test func aSignalSentToTheSupervisorIsForwardedToTheAgent() throws {
        let directory = TemporaryDirectory()
        let ready = directory.file("ready")
        // A FIFO: the shell says "trap set" by writing to it, and the test waits for that
        // write with poll(), not on a timer. The shell then waits on a child that the trap kills.
        #expect(mkfifo(ready, 0o600) == 0)
        let reader = open(ready, O_RDONLY | O_NONBLOCK)
        defer { close(reader) }
        let script = "trap 'kill $!; exit 7' USR1; echo ready > '\(ready)'; sleep 3600 & wait"
        let termination = try launch(["sh", "-c", script]) { _ in
            // Then signal the launcher's own thread as a process would with kill() (tgkill:
            // si_code SI_TKILL <= 0, so it is forwarded).
            var descriptor = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
            #expect(poll(&descriptor, 1, 60_000) == 1)
            pthread_kill(pthread_self(), SIGUSR1)
        }
        #expect(termination == .exited(7))
    }

    @Test func reapsChildrenOtherThanTheAgent() throws {
        // Another child of ours (as an orphan re-parented to PID 1 would be) that has
        // already ended: the launcher must reap it too, not leave a zombie.
        let other = try ProcessSpawn.spawn(path: "/bin/sh", arguments: ["sh", "-c", "exit 0"], environment: [],
                                           signalMask: SignalSet(), defaultSignals: SignalSet())
        var info = siginfo_t()
        #expect(waitid(P_PID, id_t(other), &info, WEXITED | WNOWAIT) == 0)  // ended, not reaped

        let termination = try launch(["sh", "-c", "exit 5"])
        #expect(termination == .exited(5))
        #expect(waitpid(other, nil, WNOHANG) == -1 && errno == ECHILD)
    }

    @Test func theBackstopFiltersTheAgentButNotTheSupervisor() throws {
        // Seccomp 2 is filter mode; both it and no_new_privs are per thread and inherited.
        let termination = try launch(
            ["sh", "-c", "grep -q '^Seccomp:[[:space:]]*2$' /proc/self/status && grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/self/status"],
            confinement: Launcher.Confinement(denyList: try SeccompDenyList.makeFilter(), notifying: nil))
        #expect(termination == .exited(0))
        // The filter was loaded on a thread of its own that has ended: this thread, like
        // every other thread of the supervisor, is not filtered.
        let status = try String(contentsOfFile: "/proc/thread-self/status", encoding: .utf8)
        #expect(status.contains("\nSeccomp:\t0\n"))
        #expect(status.contains("\nNoNewPrivs:\t0\n"))
    }

    @Test func withoutABackstopTheAgentIsNotFiltered() throws {
        let termination = try launch(["sh", "-c", "grep -q '^Seccomp:[[:space:]]*0$' /proc/self/status"])
        #expect(termination == .exited(0))
    }
}
