import CAgentFirewallOSShim
import Glibc

/// How a child process ended.
public enum ProcessTermination: Sendable, Equatable {
    case exited(Int32)
    case signaled(Int32)

    /// The status a shell reports for it: the exit code, or 128 + N when signal N killed it.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    /// Decodes a waitpid status. We never pass WUNTRACED or WCONTINUED, so waitpid reports
    /// only ends: a status is either an exit or a death by signal.
    init(waitStatus: Int32) {
        if afw_os_wait_signaled(waitStatus) {
            self = .signaled(afw_os_wait_term_signal(waitStatus))
        } else {
            self = .exited(afw_os_wait_exit_status(waitStatus))
        }
    }
}

/// A child that has ended and been reaped.
public struct ReapedChild: Sendable, Equatable {
    public let pid: pid_t
    public let termination: ProcessTermination
}

public enum ChildProcesses {
    /// Reaps one ended child, any child (waitpid(-1)): as PID 1 in a container, orphans are
    /// re-parented to us and would stay zombies if we waited for our own child only.
    /// Returns nil when no child has ended yet, or when there are no children at all.
    public static func reapAny() throws(OSError) -> ReapedChild? {
        var status: Int32 = 0
        let pid: pid_t
        do {
            pid = try retryingInterrupts("waitpid") { waitpid(-1, &status, WNOHANG) }
        } catch where error.errno == ECHILD {
            return nil
        }
        if pid == 0 { return nil }
        return ReapedChild(pid: pid, termination: ProcessTermination(waitStatus: status))
    }

    /// Waits for one specific child to end.
    public static func wait(for pid: pid_t) throws(OSError) -> ProcessTermination {
        var status: Int32 = 0
        _ = try retryingInterrupts("waitpid") { waitpid(pid, &status, 0) }
        return ProcessTermination(waitStatus: status)
    }
}
