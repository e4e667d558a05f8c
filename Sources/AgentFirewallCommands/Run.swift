import AgentFirewallOS
import AgentFirewallPolicy
import AgentFirewallSupervisor
import ArgumentParser
import Glibc

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run COMMAND under the firewall.",
        discussion: """
            COMMAND starts only when the firewall is in place: the policy loaded, the shared \
            segment created, the preload library found, and COMMAND itself allowed by the policy's \
            exec rules.

            COMMAND and every process it starts run under a seccomp filter (the backstop) that \
            denies, with EPERM, system calls that reach files, memory or the kernel past the \
            firewall: io_uring, ptrace, process_vm_readv/writev, bpf, perf_event_open, kexec, \
            kernel modules, mount and friends, new user namespaces, setns, the kernel keyring, \
            userfaultfd, and turning off address randomisation (README lists why for each). It \
            also sets no_new_privs, so setuid programs (sudo) gain no privileges. A second \
            filter sends every open, exec, connect, addressed send, rename, link, delete and truncate that the \
            preload library did not make itself (static binaries, raw system calls, libc's own \
            opens) to the supervisor, which decides it with the same policy; --paranoid sends \
            the library's own calls there too. --no-backstop starts COMMAND without either \
            filter; where seccomp user notification is unavailable, run exits 71 unless \
            --no-backstop is given.

            Exit status: COMMAND's own, or 128+N when signal N killed it; 126 when the policy \
            blocks COMMAND itself (or it is not executable), 127 when it is not found; 64 for a \
            usage error; 70-79 when the firewall itself fails (78: the policy does not load, \
            72: the preload library is missing, 73: the audit file cannot be created, \
            71: the backstop or another OS facility failed, 74: the audit file is incomplete).

            Signals that a process sends to agentfirewall (SIGINT, SIGTERM, SIGHUP, SIGQUIT, \
            SIGUSR1, SIGUSR2) are passed on to COMMAND. A terminal's Ctrl-C reaches COMMAND \
            directly, once; while reviews wait for an answer, it denies them and stops COMMAND \
            (SIGTERM; SIGHUP after 2 s and SIGKILL after 5 s if it is still running). As a \
            container's entrypoint (PID 1), run also reaps the orphans that COMMAND leaves behind.

            Reviews: with --approve ask, a call whose decision is `review` is paused until a \
            person answers it on the terminal (a allow once, d deny once, A allow for this \
            run, D deny for this run) or with `agentfirewall approvals` from another terminal, \
            or until --approval-timeout passes (then it is denied).
            """
    )

    enum Mode: String, ExpressibleByArgument, CaseIterable {
        case enforce, monitor
    }


    @Option(help: ArgumentHelp("A built-in policy pack (default, strict) or a policy YAML file.", valueName: "name|path"))
    var policy = "default"

    @Option(help: ArgumentHelp("Write every decision to this file as JSON Lines.", valueName: "path"))
    var audit: String?

    @Option(help: "enforce: blocked calls fail. monitor: decide and record everything, enforce nothing.")
    var mode: Mode = .enforce

    enum Approve: String, ExpressibleByArgument, CaseIterable {
        case ask, deny, allow
    }

    @Option(help: ArgumentHelp(
        "What a `review` decision does: ask (pause the call and ask on the terminal or through `agentfirewall approvals`), deny or allow (record and answer at once). Default: ask when stdin and stderr are terminals, else deny.",
        valueName: "ask|deny|allow"))
    var approve: Approve?

    @Option(help: ArgumentHelp("How long a review waits for an answer before it is denied.", valueName: "seconds"))
    var approvalTimeout: Double = 60

    @Flag(help: "Do not print an `agentfirewall: blocked ...` line on COMMAND's stderr for each blocked call.")
    var quiet = false

    @Flag(help: "Start COMMAND without the seccomp backstop: io_uring, ptrace, mount, new user namespaces... then stay open to it.")
    var noBackstop = false

    @Flag(help: "Send every open, exec, connect and send of every process to the supervisor, the shim's own included: slower, and sound against native code that attacks the shim in its own memory.")
    var paranoid = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("The command to run, after `--`.", valueName: "command"))
    var command: [String] = []

    func validate() throws {
        if command.isEmpty {
            throw ValidationError("missing COMMAND: put it after `--`, e.g. `agentfirewall run -- ls -l`")
        }
        if paranoid && noBackstop {
            throw ValidationError("--paranoid needs the backstop; it cannot be combined with --no-backstop")
        }
        if !(approvalTimeout > 0 && approvalTimeout.isFinite) {
            throw ValidationError("--approval-timeout must be a positive number of seconds, e.g. --approval-timeout 60")
        }
    }

    /// Someone at a terminal can answer; a run without one (CI, a pipe, a service) is
    /// unattended, and a question nobody sees would only stall it until the timeout.
    static var defaultApproveMode: ApproveMode {
        isatty(0) == 1 && isatty(2) == 1 ? .ask : .deny
    }

    func run() throws {
        let context = PolicyContext.current()
        let loaded = try PolicyCommand.load(policy, context: context)
        let firewall = FirewallRun(FirewallRun.Configuration(
            policy: loaded, context: context, command: command, auditPath: audit, monitor: mode == .monitor,
            quiet: quiet, approve: approve.flatMap { ApproveMode(rawValue: $0.rawValue) } ?? Run.defaultApproveMode, approvalTimeoutSeconds: approvalTimeout,
            backstop: noBackstop ? nil : (paranoid ? .paranoid : .standard)))
        do {
            throw ExitCode(try firewall.run())
        } catch let error as SupervisorError {
            StandardError.writeLine(error.description)
            throw ExitCode(error.code.exitStatus)
        }
    }
}
