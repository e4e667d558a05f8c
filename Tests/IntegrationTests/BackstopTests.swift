import Foundation
import Testing

/// The seccomp backstop: whatever gets past the shim (a static binary, a `syscall`
/// instruction of the program's own, libc called past its hooks) is decided by the
/// supervisor with the same policy, `"path":"backstop"` in the audit. Each attack also runs
/// with --no-backstop to show that it does get through the shim alone.
@Suite struct BackstopTests {
    static let secretLeaked = "ok\n"
    static let denied = "errno=13\n"

    @Test func staticBinariesAreDecidedByTheBackstop() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.2")
        let probe = Build.staticProbe
        let script = "\(probe) open .env; \(probe) open notes.txt; \(probe) connect 127.0.0.2 \(listener.port)"
        let outcome = try workspace.firewall(["bash", "-c", script])
        #expect(outcome.stdout == "errno=13\nok\nerrno=13\n", "\(outcome.stderr)")
        #expect(!listener.hasPendingInput)
        #expect(!outcome.stderr.contains("is a static binary"))
        // The shim never ran in the probe, so the supervisor says what it blocked.
        #expect(outcome.stderr.contains("agentfirewall: blocked file \(workspace.file(".env")) (rule test.secret)"))
        let read = try #require(try workspace.records(about: workspace.file(".env")).first)
        #expect(read["path"] as? String == "backstop")
        #expect(read["decision"] as? String == "block")
        #expect(read["rule"] as? String == "test.secret")

        let unprotected = try workspace.firewall(["bash", "-c", "\(probe) open .env"], options: ["--no-backstop"])
        #expect(unprotected.stdout == BackstopTests.secretLeaked)
        #expect(unprotected.stderr.contains("agentfirewall: warning: \(probe) is a static binary"))
    }

    /// libc creates a posix_spawn child itself, where the shim cannot act before the exec;
    /// the filter is inherited, so the static child is decided all the same.
    @Test func aStaticBinaryStartedByPosixSpawnIsDecided() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall([Build.probe, "spawnp", Build.staticProbe, "open", ".env"])
        #expect(outcome.stdout == BackstopTests.denied + "ok\n", "\(outcome.stderr)")
        let unprotected = try workspace.firewall([Build.probe, "spawnp", Build.staticProbe, "open", ".env"], options: ["--no-backstop"])
        #expect(unprotected.stdout == BackstopTests.secretLeaked + "ok\n")
        #expect(unprotected.stderr.contains("agentfirewall: warning: \(Build.staticProbe) is a static binary"))
    }

    /// A notified open paused for the supervisor while signals keep arriving, in a pipeline:
    /// no spurious EINTR, no hang.
    @Test func notifiedCallsSurviveSignalsInAPipeline() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(
            ["bash", "-c", "\(Build.staticProbe) open-under-signals notes.txt 2000 | cat; echo status=${PIPESTATUS[0]}"])
        #expect(outcome.stdout == "ok\nstatus=0\n", "\(outcome.stderr)")
        let opens = try workspace.records(about: workspace.file("notes.txt")).filter { $0["path"] as? String == "backstop" }
        #expect(opens.count == 2000)
    }

    @Test(.enabled(if: isX86_64, "the probe's own syscall instruction is x86_64 assembly"))
    func syscallInstructionsInADynamicProgramAreDecided() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.2")
        let script = "\(Build.probe) asm-openat .env; \(Build.probe) asm-openat notes.txt; \(Build.probe) asm-connect 127.0.0.2 \(listener.port)"
        let outcome = try workspace.firewall(["bash", "-c", script])
        #expect(outcome.stdout == "errno=13\nok\nerrno=13\n", "\(outcome.stderr)")
        #expect(!listener.hasPendingInput)
        let read = try #require(try workspace.records(about: workspace.file(".env")).first)
        #expect(read["path"] as? String == "backstop")
        #expect(read["op"] as? String == "openat")

        let unprotected = try workspace.firewall(["bash", "-c", script], options: ["--no-backstop"])
        #expect(unprotected.stdout == "ok\nok\nok\n")
        #expect(listener.hasPendingInput)
    }

    /// ctypes loads libc.so.6 by name and calls its syscall() directly: dlsym on that handle
    /// finds libc's own function, not the shim's hook.
    @Test(.enabled(if: isX86_64, "the script's system-call number is x86_64's"))
    func pythonCtypesRawSyscallsAreDecided() throws {
        let workspace = try Workspace()
        let script = """
            import ctypes, os
            libc = ctypes.CDLL('libc.so.6', use_errno=True)
            fd = libc.syscall(257, -100, b'.env', os.O_RDONLY)
            print('ok' if fd >= 0 else f'errno={ctypes.get_errno()}')
            """
        let outcome = try workspace.firewall(["python3", "-c", script])
        #expect(outcome.stdout == BackstopTests.denied, "\(outcome.stderr)")
        let unprotected = try workspace.firewall(["python3", "-c", script], options: ["--no-backstop"])
        #expect(unprotected.stdout == BackstopTests.secretLeaked)
    }

    /// /proc/self is the supervisor's own when the supervisor resolves it: the backstop reads
    /// it as the calling process's, and a descriptor's /proc/self/fd name as the file it is.
    @Test(.enabled(if: isX86_64, "the script's system-call number is x86_64's"))
    func procSelfPathsInRawSyscallsAreResolvedForTheCaller() throws {
        let workspace = try Workspace()
        let script = """
            import ctypes, os, sys
            libc = ctypes.CDLL('libc.so.6', use_errno=True)
            handle = libc.syscall(257, -100, b'.env', os.O_PATH)  # the filter lets O_PATH through: it cannot read
            for path in ['/proc/self/cwd/.env', '/proc/self/root' + os.getcwd() + '/.env',
                         f'/proc/self/fd/{handle}', f'/proc/thread-self/fd/{handle}', f'/proc/{os.getpid()}/fd/{handle}']:
                fd = libc.syscall(257, -100, path.encode(), os.O_RDONLY)
                print('ok' if fd >= 0 else f'errno={ctypes.get_errno()}')
            """
        let outcome = try workspace.firewall(["python3", "-c", script])
        #expect(outcome.stdout == String(repeating: BackstopTests.denied, count: 5), "\(outcome.stderr)")
    }

    /// A datagram that names its destination reaches it as surely as a connect: sendto and
    /// sendmsg are decided in the shim, and their raw system calls by the backstop.
    @Test(.enabled(if: isX86_64, "the probe's own syscall instruction is x86_64 assembly"))
    func addressedSendsAreDecided() throws {
        let workspace = try Workspace()
        let receiver = try LoopbackListener(address: "127.0.0.2", datagrams: true)
        let sends = ["sendto", "sendmsg", "asm-sendto", "asm-sendmsg"].map { "\(Build.probe) \($0) 127.0.0.2 \(receiver.port)" }
            + ["\(Build.staticProbe) sendto 127.0.0.2 \(receiver.port)"]
        let outcome = try workspace.firewall(["bash", "-c", sends.joined(separator: "; ")])
        #expect(outcome.stdout == String(repeating: BackstopTests.denied, count: 5), "\(outcome.stderr)")
        #expect(!receiver.hasPendingInput)
        let records = try workspace.records(about: "127.0.0.2:\(receiver.port)")
        #expect(Set(records.compactMap { $0["op"] as? String }) == ["sendto", "sendmsg"])
        #expect(records.allSatisfy { $0["decision"] as? String == "block" })

        let unprotected = try workspace.firewall(["bash", "-c", "\(Build.probe) asm-sendto 127.0.0.2 \(receiver.port)"], options: ["--no-backstop"])
        #expect(unprotected.stdout == "ok\n")
        #expect(receiver.hasPendingInput)
    }

    /// A vfork child shares its parent's memory, the shim's state included; its own system
    /// calls are still its own, and the filter it inherited decides them.
    @Test(.enabled(if: isX86_64, "the probe's own syscall instruction is x86_64 assembly"))
    func aVforkChildsRawSyscallIsDecided() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall([Build.probe, "vfork-asm-openat", ".env"])
        #expect(outcome.stdout == BackstopTests.denied, "\(outcome.stderr)")
        let unprotected = try workspace.firewall([Build.probe, "vfork-asm-openat", ".env"], options: ["--no-backstop"])
        #expect(unprotected.stdout == BackstopTests.secretLeaked)
    }

    /// The standard mode exempts calls from the shim's gadget page; a program that targets
    /// that page gets past the backstop (README: threat model). --paranoid has no exemption.
    @Test(.enabled(if: isX86_64, "the probe's gadget is x86_64 code"))
    func paranoidModeStopsCallsMadeThroughTheGadget() throws {
        let workspace = try Workspace()
        let attack = [Build.probe, "gadget-openat", ".env"]
        let standard = try workspace.firewall(attack)
        #expect(standard.stdout == BackstopTests.secretLeaked, "the standard mode's documented gap")
        let paranoid = try workspace.firewall(attack, options: ["--paranoid"])
        #expect(paranoid.stdout == BackstopTests.denied, "\(paranoid.stderr)")
        #expect(paranoid.stderr.contains("agentfirewall: blocked file \(workspace.file(".env")) (rule test.secret)"))
        let read = try #require(try workspace.records(about: workspace.file(".env")).first)
        #expect(read["path"] as? String == "backstop")
    }

    /// Under --paranoid the supervisor decides every call, the shim's too: everyday work still
    /// runs, blocks still hold, and nothing is decided twice.
    @Test func paranoidModeRunsEverydayWorkAndBlocksWhatThePolicyBlocks() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.2")
        // A script file: in `bash -c` the forbidden program would block the whole command.
        workspace.write("work.sh", """
            git init -q . && git status --short | wc -l && python3 -c 'print(6*7)' | cat
            cat .env; echo cat=$?
            forbidden-tool; echo tool=$?
            python3 -c "import socket; socket.create_connection(('127.0.0.2', \(listener.port)))" 2>/dev/null; echo connect=$?
            """)
        let outcome = try workspace.firewall(["bash", "work.sh"], options: ["--paranoid"])
        #expect(outcome.stdout.contains("42\ncat=1\n"), "\(outcome.stderr)")
        #expect(outcome.stdout.contains("tool=126\nconnect=1\n"), "\(outcome.stderr)")
        #expect(!listener.hasPendingInput)
        let decided = try workspace.audit().filter { $0["summary"] == nil }
        #expect(decided.allSatisfy { $0["path"] as? String == "backstop" || $0["op"] as? String == "posix_spawn" })
        #expect(try workspace.records(about: workspace.file(".env")).count == 1)
    }

    /// The loader's own opens (shared libraries) never pass through a hooked function: the
    /// backstop decides them, so a policy that blocks a library is obeyed even there.
    @Test func theLoadersOpensAreDecided() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["bash", "-c", "true"])
        #expect(outcome.status == 0)
        let loads = try workspace.audit().filter {
            ($0["subject"] as? String)?.hasSuffix("/libc.so.6") == true && $0["path"] as? String == "backstop"
        }
        #expect(!loads.isEmpty)
    }

    /// rename and link made as raw system calls, and a hard link to a descriptor opened with
    /// O_PATH (which the filter lets through because it cannot read): each would give the
    /// secret a name that no rule knows.
    @Test(.enabled(if: isX86_64, "the script's system-call numbers are x86_64's"))
    func rawRenamesAndLinksOfTheSecretAreDecided() throws {
        let workspace = try Workspace()
        let script = """
            import ctypes, os
            libc = ctypes.CDLL('libc.so.6', use_errno=True)
            handle = libc.syscall(257, -100, b'.env', os.O_PATH)
            for name, result in [('rename', lambda: libc.syscall(82, b'.env', b'a')),
                                 ('link', lambda: libc.syscall(86, b'.env', b'b')),
                                 ('renameat2', lambda: libc.syscall(316, -100, b'.env', -100, b'c', 0)),
                                 ('linkat-fd', lambda: libc.syscall(265, handle, b'', -100, b'd', 0x1000))]:
                print(name, 'ok' if result() == 0 else f'errno={ctypes.get_errno()}')
            """
        let outcome = try workspace.firewall(["python3", "-c", script])
        #expect(outcome.stdout == "rename errno=13\nlink errno=13\nrenameat2 errno=13\nlinkat-fd errno=13\n", "\(outcome.stderr)")
        #expect(FileManager.default.fileExists(atPath: workspace.file(".env")))
        let unprotected = try workspace.firewall(["python3", "-c", script], options: ["--no-backstop"])
        #expect(unprotected.stdout.hasPrefix("rename ok\n"), "\(unprotected.stderr)")
    }

    /// The check-then-use race: a thread keeps pointing a symlink (or a directory on the way)
    /// at the secret and at a harmless file while the program opens it. The shim confirms the file it opened is the
    /// one it decided; the backstop opens the decided file itself and hands the descriptor
    /// over. Without either, thousands of the 5000 opens read the secret.
    @Test(arguments: [[], ["--paranoid"]])
    func aSymlinkSwappedBetweenCheckAndUseGetsNothing(options: [String]) throws {
        let workspace = try Workspace()
        for probe in [Build.probe, Build.staticProbe] {
            let outcome = try workspace.firewall([probe, "symlink-race", ".env", "notes.txt", "5000"], options: ["--quiet"] + options)
            #expect(outcome.stdout == "opened=some leaks=0\n", "\(probe) \(options): \(outcome.stderr)")
            // A directory on the way swapped for a symlink: the path had no symlink when it
            // was decided, and the open that follows none fails (ELOOP) and is redone checked.
            let directory = "dir-race-\(probe == Build.probe ? "dynamic" : "static")"
            let swapped = try workspace.firewall(
                ["bash", "-c", "mkdir \(directory) && cd \(directory) && \(probe) dir-race ../.env 5000"], options: ["--quiet"] + options)
            #expect(swapped.stdout == "opened=some leaks=0\n", "\(probe) \(options): \(swapped.stderr)")
        }
    }

    /// Files the backstop opens for a program keep the program's view: its errors, its
    /// umask on a new file, and a missing file stays missing.
    @Test func opensMadeByTheBackstopBehaveAsTheProgramsOwn() throws {
        let workspace = try Workspace()
        let probe = Build.staticProbe
        // The probe creates with mode 0666: the file gets 0640 under umask 027, as if the
        // program had created it itself.
        let outcome = try workspace.firewall(["bash", "-c", "umask 027; \(probe) creat made; \(probe) open missing; \(probe) open notes.txt; stat -c %a made"])
        #expect(outcome.stdout == "ok\nerrno=\(ENOENT)\nok\n640\n", "\(outcome.stderr)")
        // A FIFO opened for writing waits for its reader, as it would without the firewall
        // (the supervisor's own open of it must not answer ENXIO or stall the backstop).
        let fifo = try workspace.firewall(["bash", "-c", "mkfifo pipe; cat pipe > got & \(probe) creat pipe; wait; echo done"])
        #expect(fifo.stdout == "ok\ndone\n", "\(fifo.stderr)")
    }

    /// A binary copied into an anonymous memory file and run with a raw execveat: no path,
    /// no hook. The default pack's exec.memfd rule reaches it through the backstop.
    @Test(.enabled(if: isX86_64, "the script's system-call number is x86_64's"))
    func aRawMemfdExecIsDecided() throws {
        let workspace = try Workspace()
        workspace.write("policy.yaml", "version: 1\nextends: default\n")
        let script = """
            import ctypes, os
            libc = ctypes.CDLL('libc.so.6', use_errno=True)
            fd = os.memfd_create('payload', 0)
            os.write(fd, open('/bin/echo', 'rb').read())
            argv = (ctypes.c_char_p * 3)(b'echo', b'ran', None)
            envp = (ctypes.c_char_p * 1)(None)
            libc.syscall(322, fd, b'', argv, envp, 0x1000)  # execveat(fd, "", argv, envp, AT_EMPTY_PATH)
            print('errno', ctypes.get_errno())
            """
        let outcome = try workspace.firewall(["python3", "-c", script])
        #expect(outcome.stdout == "errno 13\n", "\(outcome.stderr)")
        #expect(outcome.stderr.contains("(rule exec.memfd)"))
        let unprotected = try workspace.firewall(["python3", "-c", script], options: ["--no-backstop"])
        #expect(unprotected.stdout == "ran\n")
    }

    /// `audit: {allowed: count}` counts plain allows instead of listing them, the backstop's
    /// (the loader's opens, a few per process) as well as the shim's.
    @Test func countedAllowsCoverTheBackstop() throws {
        let workspace = try Workspace()
        workspace.write("policy.yaml", Workspace.policy + "audit: {allowed: count}\n")
        let outcome = try workspace.firewall(["bash", "-c", "cat notes.txt; \(Build.staticProbe) open notes.txt; cat .env"])
        #expect(outcome.stdout == "harmless\nok\n", "\(outcome.stderr)")
        let records = try workspace.audit()
        let listedAllows = records.filter { $0["decision"] as? String == "allow" && $0["op"] as? String != "posix_spawn" }
        #expect(listedAllows.isEmpty, "\(listedAllows.prefix(3))")
        #expect(records.contains { $0["decision"] as? String == "block" })
        let summary = try #require(records.last)
        #expect((summary["allowed_counted"] as? Int ?? 0) > 5)
    }

    /// posix_spawn, system and popen exec in a child libc makes; the shim decided the exec
    /// before, and the backstop lets that one exec through instead of deciding (and
    /// recording, and asking about) it again. COMMAND's own exec likewise.
    @Test(arguments: [[], ["--paranoid"]])
    func execsThatLibcMakesForASpawnAreDecidedOnce(options: [String]) throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall([Build.probe, "system", "true"], options: options)
        #expect(outcome.stdout == "status=0\n", "\(outcome.stderr)")
        let execs = try workspace.audit().filter { $0["surface"] as? String == "exec" }
        let shells = execs.filter { $0["program"] as? String == "/bin/sh" }
        let commands = execs.filter { $0["program"] as? String == Build.probe }
        #expect(shells.count == 1, "\(execs)")
        #expect(commands.count == (options.isEmpty ? 1 : 2), "\(execs)")
        // Under --paranoid the shim decides nothing: the backstop decides every exec.
        #expect(shells.first?["path"] as? String == (options.isEmpty ? "fast" : "backstop"))
    }

    /// unlink, unlinkat, rmdir and truncate as raw system calls: the backstop decides them as
    /// writes to the file named, as the shim does.
    @Test(.enabled(if: isX86_64, "the script's system-call numbers are x86_64's"))
    func rawDeletesAndTruncatesOfTheSecretAreDecided() throws {
        let workspace = try Workspace()
        let script = """
            import ctypes
            libc = ctypes.CDLL('libc.so.6', use_errno=True)
            for name, result in [('truncate', lambda: libc.syscall(76, b'.env', 0)),
                                 ('unlinkat', lambda: libc.syscall(263, -100, b'.env', 0)),
                                 ('unlink', lambda: libc.syscall(87, b'.env'))]:
                print(name, 'ok' if result() == 0 else f'errno={ctypes.get_errno()}')
            """
        let outcome = try workspace.firewall(["python3", "-c", script])
        #expect(outcome.stdout == "truncate errno=13\nunlinkat errno=13\nunlink errno=13\n", "\(outcome.stderr)")
        #expect(try String(contentsOfFile: workspace.file(".env"), encoding: .utf8) == "API_KEY=sk-test-secret\n")
        let unprotected = try workspace.firewall(["python3", "-c", script], options: ["--no-backstop"])
        #expect(unprotected.stdout.hasPrefix("truncate ok\nunlinkat ok\n"), "\(unprotected.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.file(".env")))
    }
}
