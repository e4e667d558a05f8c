import AgentFirewallOS
import Glibc

/// The system calls that no process of the agent may make, whatever the policy says: each
/// one reaches files, memory or the kernel by a road that the shim cannot watch, or changes
/// what a path means. The ONE description of the list: the filter `run` installs
/// (`makeFilter`) and the container profile `seccomp-profile` writes (`ociProfile`) are both
/// generated from it, so they cannot drift apart. README's backstop table explains each rule.
public enum SeccompDenyList {
    /// One rule: these calls fail with `errno` (only when `match` matches, if given).
    public struct Rule: Sendable {
        public let syscalls: [String]
        public let errno: Int32
        public let match: SeccompFilter.ArgumentMatch?
        /// Why the calls are denied: the road they open past the firewall.
        public let reason: String
    }

    /// A system-call ABI the filter covers, by libseccomp's name and the OCI profile's name.
    public struct Architecture: Sendable, Equatable {
        public let libseccompName: String
        public let ociName: String
    }

    /// <linux/sched.h>: the clone/unshare flag that creates a user namespace.
    static let cloneNewUser: UInt64 = 0x1000_0000
    /// <linux/personality.h>: the personality bit that turns off address randomisation.
    static let addressNoRandomize: UInt64 = 0x0004_0000
    /// <asm-generic/ioctls.h>: the ioctl that pushes a byte into a terminal's input. The
    /// kernel reads the request as 32 bits, so only those are compared.
    static let terminalInputInjection: UInt64 = 0x5412

    public static let rules: [Rule] = [
        Rule(
            syscalls: ["io_uring_setup", "io_uring_enter", "io_uring_register"], errno: EPERM, match: nil,
            reason: "io_uring opens files and connects sockets from kernel workers: those calls never pass through libc or a system-call check"),
        Rule(
            syscalls: ["ptrace"], errno: EPERM, match: nil,
            reason: "a tracer reads and rewrites another process's memory and system calls after the shim decided them"),
        Rule(
            syscalls: ["process_vm_readv", "process_vm_writev"], errno: EPERM, match: nil,
            reason: "reads or writes another process's memory (seccomp cannot tell the caller's own pid from another, so both are denied outright)"),
        Rule(
            syscalls: ["bpf"], errno: EPERM, match: nil,
            reason: "loads programs into the kernel: tracing of other processes and a large kernel attack surface"),
        Rule(
            syscalls: ["perf_event_open"], errno: EPERM, match: nil,
            reason: "profiles other processes and the kernel: side channels and a long record of kernel exploits"),
        Rule(
            syscalls: ["kexec_load", "kexec_file_load"], errno: EPERM, match: nil,
            reason: "replaces the running kernel (an agent running as root must not)"),
        Rule(
            syscalls: ["init_module", "finit_module", "delete_module"], errno: EPERM, match: nil,
            reason: "loads or unloads kernel code (an agent running as root must not)"),
        Rule(
            syscalls: [
                "mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsconfig", "fsmount", "fspick",
                "mount_setattr",
            ],
            errno: EPERM, match: nil,
            reason: "rearranges the file tree: a bind mount shows a secret under a path the policy allows, or covers a path it guards"),
        Rule(
            syscalls: ["unshare", "clone"], errno: EPERM,
            match: SeccompFilter.ArgumentMatch(index: 0, mask: cloneNewUser, value: cloneNewUser),
            reason: "CLONE_NEWUSER makes the caller root in a new user namespace: mounts and kernel code otherwise reserved to root"),
        Rule(
            syscalls: ["clone3"], errno: ENOSYS, match: nil,
            reason: "its flags are in memory, which seccomp cannot read, so CLONE_NEWUSER could not be checked; ENOSYS makes glibc and other runtimes fall back to clone, whose flags are checked"),
        Rule(
            syscalls: ["setns"], errno: EPERM, match: nil,
            reason: "joins another process's user or mount namespace: the same doors as unshare, through /proc/PID/ns"),
        Rule(
            syscalls: ["keyctl", "add_key", "request_key"], errno: EPERM, match: nil,
            reason: "the kernel keyring holds credentials (Kerberos tickets, encryption keys) that no file path guards"),
        Rule(
            syscalls: ["open_by_handle_at"], errno: EPERM, match: nil,
            reason: "opens a file from a handle (name_to_handle_at) instead of a path: no path for the shim or a path rule to judge, and a root agent reads .env this way"),
        Rule(
            syscalls: ["userfaultfd"], errno: EPERM, match: nil,
            reason: "stalls the kernel in the middle of a copy from the caller's memory: the tool that makes check-then-use races reliable"),
        Rule(
            syscalls: ["personality"], errno: EPERM,
            match: SeccompFilter.ArgumentMatch(index: 0, mask: addressNoRandomize, value: addressNoRandomize),
            reason: "ADDR_NO_RANDOMIZE turns off address randomisation for the programs the caller runs, making exploits of them reliable"),
        Rule(
            syscalls: ["ioctl"], errno: EPERM,
            match: SeccompFilter.ArgumentMatch(index: 1, mask: 0xFFFF_FFFF, value: terminalInputInjection),
            reason: "TIOCSTI types into the terminal as if the user did: the agent would answer its own review question, or leave commands in the user's shell"),
    ]

    /// The native ABI and the ones the same CPU also runs (32-bit x86 and x32 on x86_64, 32-bit
    /// ARM on arm64): a process that makes its calls through `int 0x80` meets the same rules
    /// instead of an unfiltered table, and a 32-bit program still runs.
    public static let architectures: [Architecture] = {
        #if arch(x86_64)
        [
            Architecture(libseccompName: "x86_64", ociName: "SCMP_ARCH_X86_64"),
            Architecture(libseccompName: "x86", ociName: "SCMP_ARCH_X86"),
            Architecture(libseccompName: "x32", ociName: "SCMP_ARCH_X32"),
        ]
        #elseif arch(arm64)
        [
            Architecture(libseccompName: "aarch64", ociName: "SCMP_ARCH_AARCH64"),
            Architecture(libseccompName: "arm", ociName: "SCMP_ARCH_ARM"),
        ]
        #else
        #error("list this CPU's system-call ABIs")
        #endif
    }()

    /// The filter that `run` installs in the agent: everything allowed but `rules`.
    public static func makeFilter() throws(OSError) -> SeccompFilter {
        let filter = try SeccompFilter()
        for architecture in architectures { try filter.addArchitecture(architecture.libseccompName) }
        for rule in rules {
            for syscall in rule.syscalls { try filter.deny(syscall, errno: rule.errno, when: rule.match) }
        }
        return filter
    }
}
