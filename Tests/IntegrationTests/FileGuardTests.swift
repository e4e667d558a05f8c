import Foundation
import Testing

/// Protected files stay closed to every kind of program and every descendant, and the rest
/// of the file system is untouched.
@Suite struct FileGuardTests {
    /// The block line the shim prints on the agent's stderr (SPEC: "What the agent sees").
    func blockLine(_ workspace: Workspace, _ name: String) -> String {
        "agentfirewall: blocked file \(workspace.file(name)) (rule test.secret): the test secret"
    }

    func expectBlockedRecord(_ workspace: Workspace, _ name: String) throws {
        let records = try workspace.records(about: workspace.file(name))
        let blocked = try #require(records.first { $0["decision"] as? String == "block" })
        #expect(blocked["rule"] as? String == "test.secret")
        #expect(blocked["surface"] as? String == "file")
        #expect(blocked["path"] as? String == "fast")
    }

    @Test func catOfTheSecretFailsWithPermissionDenied() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["cat", ".env"])
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("Permission denied"))
        #expect(outcome.stderr.contains(blockLine(workspace, ".env")))
        #expect(!outcome.stdout.contains("sk-test-secret"))
        try expectBlockedRecord(workspace, ".env")
    }

    @Test func pythonGetsEACCES() throws {
        let workspace = try Workspace()
        let script = """
            try:
                open('.env').read()
                print('leaked')
            except OSError as error:
                print('errno', error.errno)
            """
        let outcome = try workspace.firewall(["python3", "-c", script])
        #expect(outcome.stdout == "errno 13\n")
        try expectBlockedRecord(workspace, ".env")
    }

    @Test func shellPipelineAndGrandchildAreCovered() throws {
        let workspace = try Workspace()
        let pipeline = try workspace.firewall(["bash", "-c", "cat .env | wc -c"])
        #expect(pipeline.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        #expect(pipeline.stderr.contains(blockLine(workspace, ".env")))
        let grandchild = try workspace.firewall(["sh", "-c", "sh -c 'python3 -c \"open(\\\".env\\\")\"'"])
        #expect(grandchild.status != 0)
        #expect(grandchild.stderr.contains("PermissionError"))
        try expectBlockedRecord(workspace, ".env")
    }

    @Test(arguments: ["open", "openat", "fopen", "syscall-openat"])
    func cProgramEntryPointsAreCovered(mode: String) throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall([Build.probe, mode, ".env"])
        #expect(outcome.stdout == "errno=13\n")
        let allowed = try workspace.firewall([Build.probe, mode, "notes.txt"])
        #expect(allowed.stdout == "ok\n")
    }

    @Test func creatingASecretFileIsBlocked() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall([Build.probe, "creat", ".env.local"])
        #expect(outcome.stdout == "errno=13\n")
        #expect(!FileManager.default.fileExists(atPath: workspace.file(".env.local")))
    }

    @Test func symlinkToTheSecretIsResolved() throws {
        let workspace = try Workspace()
        try FileManager.default.createSymbolicLink(atPath: workspace.file("innocent.txt"), withDestinationPath: ".env")
        let outcome = try workspace.firewall(["cat", "innocent.txt"])
        #expect(outcome.status == 1)
        #expect(!outcome.stdout.contains("sk-test-secret"))
        #expect(outcome.stderr.contains(blockLine(workspace, ".env")))
    }

    @Test func procSelfPathsAreResolved() throws {
        let workspace = try Workspace()
        for path in ["/proc/self/cwd/.env", "/proc/self/root" + workspace.file(".env")] {
            let outcome = try workspace.firewall(["cat", path])
            #expect(outcome.status == 1)
            #expect(!outcome.stdout.contains("sk-test-secret"))
        }
    }

    /// Python's ctypes reaches libc's syscall() directly, with no open() wrapper in between.
    @Test(.enabled(if: isX86_64, "257 is x86_64's openat"))
    func ctypesRawSyscallIsCovered() throws {
        let workspace = try Workspace()
        let script = """
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            fd = libc.syscall(257, -100, b'.env', 0, 0)
            print('errno', ctypes.get_errno()) if fd < 0 else print('opened')
            """
        let outcome = try workspace.firewall(["python3", "-c", script])
        #expect(outcome.stdout == "errno 13\n")
    }

    @Test func allowedReadsSucceedOnTheFastPath() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["cat", "notes.txt"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout == "harmless\n")
        let record = try #require(try workspace.records(about: workspace.file("notes.txt")).first)
        #expect(record["decision"] as? String == "allow")
        #expect(record["path"] as? String == "fast")
        #expect(record["access"] as? String == "read")
    }

    @Test func monitorModeRecordsButDoesNotEnforce() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["cat", ".env"], options: ["--mode", "monitor"])
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("sk-test-secret"))
        let record = try #require(try workspace.records(about: workspace.file(".env")).first)
        #expect(record["decision"] as? String == "block")
        #expect(record["mode"] as? String == "monitor")
    }

    @Test func quietSuppressesTheBlockLine() throws {
        let workspace = try Workspace()
        let outcome = try workspace.firewall(["cat", ".env"], options: ["--quiet"])
        #expect(outcome.status == 1)
        #expect(!outcome.stderr.contains("agentfirewall: blocked"))
    }

    /// A path rule knows the secret by its name: `mv .env x` or `ln .env x`, then reading x,
    /// must not get around it. rename and link decide the old name as read and write.
    @Test func renamingOrLinkingTheSecretIsBlocked() throws {
        let workspace = try Workspace()
        let script = """
            import os
            def attempt(name, call):
                try:
                    call()
                    print(name, 'ok')
                except OSError as error:
                    print(name, 'errno', error.errno)
            attempt('rename', lambda: os.rename('.env', 'a'))
            attempt('replace', lambda: os.replace('.env', 'b'))
            attempt('link', lambda: os.link('.env', 'c'))
            attempt('rename-into', lambda: os.rename('notes.txt', '.env.local'))
            attempt('harmless', lambda: os.rename('notes.txt', 'notes2.txt'))
            """
        let outcome = try workspace.firewall(["python3", "-c", script])
        #expect(outcome.stdout == "rename errno 13\nreplace errno 13\nlink errno 13\nrename-into errno 13\nharmless ok\n", "\(outcome.stderr)")
        let shell = try workspace.firewall(["bash", "-c", "mv .env x; echo mv=$?; ln .env y; echo ln=$?"])
        #expect(shell.stdout == "mv=1\nln=1\n", "\(shell.stderr)")
        #expect(!FileManager.default.fileExists(atPath: workspace.file("x")))
        #expect(!FileManager.default.fileExists(atPath: workspace.file("y")))
        #expect(FileManager.default.fileExists(atPath: workspace.file(".env")))
        let record = try #require(try workspace.records(about: workspace.file(".env")).first { ($0["op"] as? String)?.hasPrefix("rename") == true })
        #expect(record["decision"] as? String == "block")
    }

    /// Deleting or emptying the secret is a write to it: `rm`, `truncate`, Python's
    /// os.remove and os.truncate, and the C remove() that libc runs through its own unlink.
    @Test func deletingOrTruncatingTheSecretIsBlocked() throws {
        let workspace = try Workspace()
        let script = """
            rm -f .env; echo rm=$?
            truncate -s 0 .env; echo truncate=$?
            python3 -c "import os; os.remove('.env')" 2>/dev/null; echo remove=$?
            python3 -c "import os; os.truncate('.env', 0)" 2>/dev/null; echo os-truncate=$?
            python3 -c "import ctypes; print('c-remove', ctypes.CDLL(None).remove(b'.env'))"
            rm notes.txt; echo rm-notes=$?
            """
        let outcome = try workspace.firewall(["bash", "-c", script])
        #expect(outcome.stdout == "rm=1\ntruncate=1\nremove=1\nos-truncate=1\nc-remove -1\nrm-notes=0\n", "\(outcome.stderr)")
        #expect(try String(contentsOfFile: workspace.file(".env"), encoding: .utf8) == "API_KEY=sk-test-secret\n")
        #expect(!FileManager.default.fileExists(atPath: workspace.file("notes.txt")))
        let record = try #require(try workspace.records(about: workspace.file(".env")).first { $0["op"] as? String == "unlinkat" })
        #expect(record["access"] as? String == "write")
        #expect(record["decision"] as? String == "block")
    }
}
