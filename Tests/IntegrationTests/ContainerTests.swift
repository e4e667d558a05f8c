import Foundation
import Testing

/// `agentfirewall run` as a container's entrypoint: PID 1 of a PID namespace
/// (`unshare --pid --fork --mount-proc`, as a container runtime would start it). PID 1 has
/// duties no other process has: every orphan of the namespace becomes its child and stays a
/// zombie until it reaps it, and the runtime stops the container by signalling it alone.
@Suite(.serialized) struct ContainerTests {
    static let namespaceSkipReason: Comment = "unshare --pid needs root (CAP_SYS_ADMIN); not root, so PID-1 behaviour is untested here"

    /// `unshare --pid --fork --mount-proc agentfirewall run ... -- COMMAND` in the workspace.
    private func asPID1(
        _ workspace: Workspace, _ command: [String], started: ((pid_t) -> Void)? = nil
    ) throws -> Outcome {
        try Command.run(
            "unshare",
            ["--pid", "--fork", "--mount-proc", Build.firewall, "run", "--policy", workspace.file("policy.yaml"), "--"]
                + command,
            in: workspace.path, environment: workspace.environment, started: started)
    }

    @Test(.enabled(if: getuid() == 0, namespaceSkipReason))
    func anOrphanedGrandchildIsReapedAndNoZombieIsLeft() throws {
        let workspace = try Workspace()
        // The agent starts a shell that leaves `cat` behind and exits: cat is re-parented to
        // PID 1 (the firewall). cat ends when the agent writes to the FIFO it waits on; then
        // only PID 1 can reap it, and until then its /proc entry stays, in state Z.
        let script = """
            import os, select, subprocess, sys, time
            def state_and_parent(pid):
                with open(f"/proc/{pid}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
                return fields[0], int(fields[1])
            os.mkfifo("release")
            orphan = int(subprocess.run(["sh", "-c", "cat release >/dev/null 2>&1 & echo $!"],
                                        capture_output=True, text=True).stdout)
            print("firewall-is-pid-1", open("/proc/1/cmdline").read().split("\\0")[1] == "run")
            print("orphan-parent", state_and_parent(orphan)[1])
            exited = os.pidfd_open(orphan)
            os.close(os.open("release", os.O_WRONLY))
            select.select([exited], [], [], 30)
            # Exited; PID 1 reaps it on SIGCHLD, within moments: yield until the entry goes.
            deadline = time.monotonic() + 30
            while os.path.exists(f"/proc/{orphan}") and time.monotonic() < deadline:
                os.sched_yield()
            print("orphan-reaped", not os.path.exists(f"/proc/{orphan}"))
            zombies = []
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    try:
                        if state_and_parent(entry)[0] == "Z":
                            zombies.append(entry)
                    except FileNotFoundError:
                        pass
            print("zombies", len(zombies))
            """
        let outcome = try asPID1(workspace, ["python3", "-c", script])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let lines = Set(outcome.stdout.split(separator: "\n").map(String.init))
        #expect(lines.contains("firewall-is-pid-1 True"), "\(outcome.stdout)")
        #expect(lines.contains("orphan-parent 1"), "\(outcome.stdout)")
        #expect(lines.contains("orphan-reaped True"), "\(outcome.stdout)")
        #expect(lines.contains("zombies 0"), "\(outcome.stdout)")
    }

    @Test(.enabled(if: getuid() == 0, namespaceSkipReason))
    func sigtermToPID1ReachesTheAgentAndItsExitStatusIsTheContainers() throws {
        let workspace = try Workspace()
        let outcome = try asPID1(workspace, ["python3", "-c", Workspace.exitFiveOnSIGTERM]) { unshare in
            // What `docker stop` does: SIGTERM to the container's PID 1, from outside its
            // namespace. unshare's only child is that PID 1.
            guard workspace.waitFor("ready"), let pid1 = ContainerTests.children(of: unshare).first else { return }
            kill(pid1, SIGTERM)
        }
        #expect(outcome.status == 5, "\(outcome.stderr)")
        #expect((try? String(contentsOfFile: workspace.file("got-signal"), encoding: .utf8)) == String(SIGTERM))
    }

    @Test(.enabled(if: getuid() == 0, namespaceSkipReason))
    func theAgentsExitStatusPassesThroughPID1() throws {
        let workspace = try Workspace()
        #expect(try asPID1(workspace, ["sh", "-c", "exit 9"]).status == 9)
        #expect(try asPID1(workspace, ["sh", "-c", "kill -KILL $$"]).status == 128 + SIGKILL)
    }

    /// The pids whose parent is `parent`, from /proc/PID/stat (field 4, after the command name).
    static func children(of parent: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { entry -> pid_t? in
            guard let pid = pid_t(entry),
                  let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
                  let afterName = stat.range(of: ")", options: .backwards)
            else { return nil }
            let fields = stat[afterName.upperBound...].split(separator: " ")
            return fields.count > 1 && pid_t(fields[1]) == parent ? pid : nil
        }
    }
}
