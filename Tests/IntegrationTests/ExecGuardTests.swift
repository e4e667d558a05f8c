import Foundation
import Testing

/// A blocked program cannot be started through any exec entry point, by any descendant, and
/// clearing the environment does not shed the firewall.
@Suite struct ExecGuardTests {
    let blockLinePrefix = "agentfirewall: blocked exec "

    /// bash runs a script file, so the firewall cannot see the program in bash's own argv:
    /// the block must come from the shim inside bash, when bash execs the program.
    @Test func bashCannotRunTheBlockedProgram() throws {
        let workspace = try Workspace()
        workspace.write("run.sh", "forbidden-tool\necho after=$?\n")
        let outcome = try workspace.firewall(["bash", "run.sh"])
        #expect(!outcome.stdout.contains("forbidden-tool-ran"))
        #expect(outcome.stdout.contains("after=126"))
        #expect(outcome.stderr.contains(blockLinePrefix))
        #expect(outcome.stderr.contains("(rule test.forbidden-program): the test's forbidden program"))
        let record = try #require(try workspace.records(about: "forbidden-tool").first)
        #expect(record["decision"] as? String == "block")
        #expect(record["surface"] as? String == "exec")
        #expect(record["path"] as? String == "fast")
    }

    /// `bash -c SCRIPT` names the program in its script: the whole command is decided, and
    /// blocked, before bash starts (the shim would decide a nested bash the same way).
    @Test func shellScriptsAreSeenThrough() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["bash", "-c", "forbidden-tool; echo after=$?"])
        #expect(outcome.status == 126)
        #expect(!outcome.stdout.contains("after="))
        let nested = try workspace.firewall(["sh", "-c", "bash -c 'forbidden-tool'; echo after=$?"])
        #expect(!nested.stdout.contains("forbidden-tool-ran"))
        #expect(nested.stderr.contains(blockLinePrefix))
    }

    @Test func pythonSubprocessGetsEACCES() throws {
        let workspace = try Workspace()
        let script = """
            import subprocess
            try:
                subprocess.run(['forbidden-tool'])
                print('ran')
            except OSError as error:
                print('errno', error.errno)
            """
        let outcome = try workspace.firewall(["python3", "-c", script])
        #expect(outcome.stdout == "errno 13\n")
    }

    @Test(arguments: ["execvp", "spawnp"])
    func cProgramEntryPointsAreCovered(mode: String) throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall([Build.probe, mode, "forbidden-tool"])
        #expect(outcome.stdout == "errno=13\n")
        let allowed = try workspace.firewall([Build.probe, mode, "true"])
        #expect(allowed.stdout.contains("ok") || allowed.status == 0)
    }

    @Test func execveOfTheAbsolutePathIsCovered() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall([Build.probe, "execve", workspace.file("bin/forbidden-tool")])
        #expect(outcome.stdout == "errno=13\n")
    }

    @Test func systemRunsTheShellUnderTheFirewall() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall([Build.probe, "system", "cat .env; forbidden-tool"])
        #expect(!outcome.stdout.contains("sk-test-secret"))
        #expect(!outcome.stdout.contains("forbidden-tool-ran"))
    }

    @Test(arguments: [
        ["env", "-i", "/bin/cat", ".env"],
        ["env", "-u", "LD_PRELOAD", "cat", ".env"],
        ["env", "-i", "/bin/sh", "-c", "cat .env"],
        ["python3", "-c", "import os; os.execve('/bin/cat', ['cat', '.env'], {})"],
    ])
    func clearingTheEnvironmentStaysProtected(command: [String]) throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(command)
        #expect(outcome.status != 0)
        #expect(!outcome.stdout.contains("sk-test-secret"))
        #expect(outcome.stderr.contains("agentfirewall: blocked file"))
    }

    /// Renaming a program through a symlink, or running it through the dynamic loader, does
    /// not change what it is.
    @Test func symlinksAndTheLoaderDoNotDisguiseAProgram() throws {
        let workspace = try Workspace()
        try FileManager.default.createSymbolicLink(
            atPath: workspace.file("innocent"), withDestinationPath: workspace.file("bin/forbidden-tool"))
        let viaLink = try workspace.firewall([Build.probe, "execve", workspace.file("innocent")])
        #expect(viaLink.stdout == "errno=13\n")
        let loader = "/lib64/ld-linux-x86-64.so.2"
        guard FileManager.default.fileExists(atPath: loader) else { return }
        // The loader runs ELF files only: make the forbidden program one.
        try FileManager.default.removeItem(atPath: workspace.file("bin/forbidden-tool"))
        try FileManager.default.copyItem(atPath: "/bin/echo", toPath: workspace.file("bin/forbidden-tool"))
        let viaLoader = try workspace.firewall([Build.probe, "execve", loader, "bin/forbidden-tool", "ran"])
        #expect(viaLoader.stdout == "errno=13\n")
        #expect(viaLoader.stderr.contains(blockLinePrefix))
    }

    /// A binary copied into an anonymous memory file exists in no directory; the default pack
    /// refuses to run it, through execve of /proc/self/fd/N and through fexecve alike.
    @Test(arguments: ["os.execv(f'/proc/self/fd/{fd}', ['echo', 'ran'])", "os.execve(fd, ['echo', 'ran'], {})"])
    func memfdExecIsBlockedByTheDefaultPack(call: String) throws {
        let workspace = try Workspace()
        workspace.write("policy.yaml", "version: 1\nextends: default\n")
        let script = """
            import os
            fd = os.memfd_create('payload', 0)
            os.write(fd, open('/bin/echo', 'rb').read())
            try:
                \(call)
            except OSError as error:
                print('errno', error.errno)
            """
        let outcome = try workspace.firewall(["python3", "-c", script])
        #expect(outcome.stdout == "errno 13\n")
        #expect(outcome.stderr.contains("(rule exec.memfd)"))
    }

    @Test func theCommandItselfIsDecidedBeforeItStarts() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["forbidden-tool"])
        #expect(outcome.status == 126)
        #expect(!outcome.stdout.contains("forbidden-tool-ran"))
        #expect(outcome.stderr.contains(blockLinePrefix))
    }

    @Test func everydayWorkRunsUntouched() throws {
        let workspace = try Workspace()
        workspace.write("hello.c", "#include <stdio.h>\nint main(void) { puts(\"hello\"); return 0; }\n")
        let script = "git init -q . && git status --short | wc -l && cc -o hello hello.c && ./hello && python3 -c 'print(6*7)' | cat"
        let outcome = try workspace.firewall(["bash", "-c", script])
        #expect(outcome.status == 0, "\(outcome.stderr)")
        #expect(outcome.stdout.contains("hello\n42\n"))
        #expect(!outcome.stderr.contains("agentfirewall: blocked"))
    }

    /// execvp walks PATH in the shim, as glibc does, so that each exec it makes is decided
    /// once (by the shim) and not a second time by the backstop: a shebang-less script runs
    /// through /bin/sh, a program found but not runnable lets the search go on.
    @Test func execvpWalksPathAsGlibcDoesAndDecidesOnce() throws {
        let workspace = try Workspace()
        workspace.write("first/tool", "not runnable\n")
        workspace.write("second/tool", "echo second-tool-ran \"$@\"\n", executable: true)
        var environment = workspace.environment
        environment["PATH"] = workspace.file("first") + ":" + workspace.file("second") + ":" + (environment["PATH"] ?? "")
        let outcome = try Command.run(
            Build.firewall, ["run", "--policy", workspace.file("policy.yaml"), "--audit", workspace.file("audit.jsonl"), "--",
                             Build.probe, "execvp", "tool", "a", "b"],
            in: workspace.path, environment: environment)
        #expect(outcome.stdout == "second-tool-ran a b\n", "\(outcome.stderr)")
        let execs = try workspace.audit().filter { ($0["program"] as? String)?.hasSuffix("/tool") == true || $0["program"] as? String == "/bin/sh" }
        // Each exec the walk makes is decided once, in the shim: the unrunnable first find,
        // the second, and /bin/sh for it.
        #expect(execs.map { $0["program"] as? String } == [workspace.file("first/tool"), workspace.file("second/tool"), "/bin/sh"], "\(execs)")
        #expect(execs.allSatisfy { $0["path"] as? String == "fast" })
    }
}
