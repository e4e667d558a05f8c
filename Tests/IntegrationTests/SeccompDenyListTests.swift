import Foundation
import Testing

/// The seccomp backstop under the real `agentfirewall run`: calls that reach files, memory or
/// the kernel past the shim fail with EPERM in the agent and its descendants, `--no-backstop`
/// lets them through (so each test can fail), and everyday work is untouched.
@Suite struct SeccompDenyListTests {
    /// Raw system calls through ctypes (no libc wrapper the shim could hook), one line each:
    /// "<name> <result> <errno>". Numbers are x86_64's where libc has no wrapper.
    static let rawCalls = """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        def report(name, result):
            print(name, result, ctypes.get_errno())
        params = ctypes.create_string_buffer(120)   # struct io_uring_params, zeroed
        report("io_uring_setup", libc.syscall(425, 8, params))
        report("ptrace_traceme", libc.ptrace(0, 0, 0, 0))
        report("unshare_newuser", libc.unshare(0x10000000))
        """

    private func results(_ outcome: Outcome) -> [String: (result: Int, errno: Int32)] {
        var results: [String: (result: Int, errno: Int32)] = [:]
        for line in outcome.stdout.split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 3, let result = Int(words[1]), let error = Int32(words[2]) else { continue }
            results[String(words[0])] = (result, error)
        }
        return results
    }

    @Test(.enabled(if: isX86_64, "the raw system-call numbers in the script are x86_64's"))
    func rawIoUringPtraceAndUserNamespaceCallsFailWithEPERM() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["python3", "-c", SeccompDenyListTests.rawCalls])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let results = results(outcome)
        for name in ["io_uring_setup", "ptrace_traceme", "unshare_newuser"] {
            #expect(results[name]?.result == -1, "\(name): \(outcome.stdout)")
            #expect(results[name]?.errno == EPERM, "\(name): \(outcome.stdout)")
        }
    }

    @Test(.enabled(if: isX86_64, "the raw system-call numbers in the script are x86_64's"))
    func withoutTheBackstopTheSameIoUringCallSucceeds() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["python3", "-c", SeccompDenyListTests.rawCalls], options: ["--no-backstop"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        // A descriptor: the kernel built an io_uring, whose I/O no hook would ever see.
        #expect((results(outcome)["io_uring_setup"]?.result ?? -1) >= 0, "\(outcome.stdout)")
    }

    /// open_by_handle_at opens a file with no path at all, so no path rule could judge it:
    /// as root it reads the secret past the shim unless the filter refuses it.
    static let openByHandle = """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        class FileHandle(ctypes.Structure):
            _fields_ = [("handle_bytes", ctypes.c_uint), ("handle_type", ctypes.c_int), ("f_handle", ctypes.c_ubyte * 128)]
        handle = FileHandle(handle_bytes=128)
        mount_id = ctypes.c_int()
        if libc.name_to_handle_at(-100, b".env", ctypes.byref(handle), ctypes.byref(mount_id), 0) != 0:
            print("no-handle", ctypes.get_errno())
        else:
            fd = libc.open_by_handle_at(os.open(".", os.O_RDONLY | os.O_DIRECTORY), ctypes.byref(handle), os.O_RDONLY)
            print("errno", ctypes.get_errno()) if fd < 0 else print("read", os.read(fd, 100).decode().strip())
        """

    @Test(.enabled(if: getuid() == 0, "open_by_handle_at needs CAP_DAC_READ_SEARCH"))
    func openByHandleCannotReadTheSecret() throws {
        let workspace = try Workspace()
        let unprotected = try workspace.firewall(
            ["python3", "-c", SeccompDenyListTests.openByHandle], options: ["--no-backstop"])
        // A file system that hands out no handles (tmpfs) has no such road to close.
        guard !unprotected.stdout.hasPrefix("no-handle") else { return }
        #expect(unprotected.stdout == "read API_KEY=sk-test-secret\n", "\(unprotected.stdout)")
        let protected = try workspace.firewall(["python3", "-c", SeccompDenyListTests.openByHandle])
        #expect(protected.stdout == "errno \(EPERM)\n", "\(protected.stdout)\(protected.stderr)")
    }

    @Test func aGrandchildCannotCreateAUserNamespace() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["sh", "-c", "sh -c 'unshare -U true'"])
        #expect(outcome.status != 0)
        #expect(outcome.stderr.contains("Operation not permitted"), "\(outcome.stderr)")
    }

    @Test(.enabled(if: getuid() == 0, "an unprivileged user may be refused user namespaces by the host anyway"))
    func withoutTheBackstopAUserNamespaceIsCreated() throws {
        let workspace = try Workspace()
        #expect(try workspace.firewall(["unshare", "-U", "true"], options: ["--no-backstop"]).status == 0)
    }

    @Test func everyDescendantCarriesTheFilterAndNoNewPrivs() throws {
        let workspace = try Workspace()
        let check = "grep -q '^Seccomp:[[:space:]]*2$' /proc/self/status && grep -q '^NoNewPrivs:[[:space:]]*1$' /proc/self/status"
        #expect(try workspace.firewall(["bash", "-c", "sh -c \"\(check)\""]).status == 0)
        #expect(try workspace.firewall(["sh", "-c", check], options: ["--no-backstop"]).status == 1)
    }

    @Test func everydayWorkRunsUnderTheFilter() throws {
        let workspace = try Workspace()
        let script = """
            set -e
            git init -q repo && cd repo
            echo hello > a.txt && git add a.txt
            git -c user.name=t -c user.email=t@example.invalid commit -qm first
            git status --short
            python3 -c 'import threading; t = threading.Thread(target=print, args=("thread-ran",)); t.start(); t.join()'
            python3 -c 'import subprocess; print(subprocess.run(["echo", "subprocess-ran"], capture_output=True, text=True).stdout.strip())'
            printf 'int main(void) { return 42; }\\n' > t.c && cc -o t t.c
            ./t || echo "compiled-ran $?"
            ls | sort | tr '\\n' ' '
            """
        let outcome = try workspace.firewall(["bash", "-c", script])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        // Threads and subprocesses start although clone3 is refused (libc falls back to clone).
        #expect(outcome.stdout.contains("thread-ran"))
        #expect(outcome.stdout.contains("subprocess-ran"))
        #expect(outcome.stdout.contains("compiled-ran 42"))
        #expect(outcome.stdout.contains("a.txt t t.c"))
    }

    /// A kernel (or container runtime) without seccomp filters, imitated: a wrapper installs a
    /// filter that answers seccomp() with ENOSYS and prctl(PR_SET_SECCOMP) with EINVAL, as a
    /// kernel without CONFIG_SECCOMP_FILTER does, then execs agentfirewall.
    @Test func whereSeccompIsUnavailableRunRefusesUnlessNoBackstop() throws {
        let workspace = try Workspace()
        workspace.write("no-seccomp.c", """
            #include <errno.h>
            #include <seccomp.h>
            #include <sys/prctl.h>
            #include <unistd.h>
            int main(int argc, char **argv) {
                scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
                if (seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(seccomp), 0) != 0) return 90;
                if (seccomp_rule_add(filter, SCMP_ACT_ERRNO(EINVAL), SCMP_SYS(prctl), 1,
                                     SCMP_A0(SCMP_CMP_EQ, PR_SET_SECCOMP)) != 0) return 91;
                if (seccomp_load(filter) != 0) return 92;
                execv(argv[1], argv + 1);
                return 93;
            }
            """)
        let compiled = try Command.run("cc", ["-o", workspace.file("no-seccomp"), workspace.file("no-seccomp.c"), "-lseccomp"])
        try #require(compiled.status == 0, "\(compiled.stderr)")

        func run(_ options: [String]) throws -> Outcome {
            try Command.run(
                workspace.file("no-seccomp"),
                [Build.firewall, "run", "--policy", workspace.file("policy.yaml")] + options + ["--", "touch", "started"],
                in: workspace.path, environment: workspace.environment)
        }
        let refused = try run([])
        #expect(refused.status == 71)
        #expect(refused.stderr.hasPrefix("agentfirewall: error: cannot install the seccomp backstop"), "\(refused.stderr)")
        #expect(refused.stderr.contains("--no-backstop"))
        #expect(refused.stderr.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: workspace.file("started")))

        #expect(try run(["--no-backstop"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: workspace.file("started")))
    }

    @Test func seccompProfilePrintsTheDenyListAsAnOCIProfile() throws {
        let outcome = try Command.run(Build.firewall, ["seccomp-profile", "--policy", "default"])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let profile = try #require(try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any])
        #expect(profile["defaultAction"] as? String == "SCMP_ACT_ALLOW")
        let names = (profile["syscalls"] as? [[String: Any]] ?? []).flatMap { $0["names"] as? [String] ?? [] }
        for call in ["io_uring_setup", "ptrace", "unshare", "clone", "clone3", "mount", "bpf", "personality"] {
            #expect(names.contains(call), "\(call) missing")
        }
    }

    @Test func seccompProfileRejectsAPolicyThatDoesNotLoad() throws {
        let workspace = try Workspace()
        workspace.write("bad.yaml", "version: 1\nrules:\n  - id: bad\n    surface: disk\n    action: block\n")
        let outcome = try Command.run(Build.firewall, ["seccomp-profile", "--policy", workspace.file("bad.yaml")])
        #expect(outcome.status == 78)
        #expect(outcome.stdout.isEmpty)
    }
}
