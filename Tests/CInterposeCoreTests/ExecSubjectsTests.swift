import CInterposeCore
import Testing

private struct Subjects {
    var programs: [String]
    var commands: [String]
    var truncated: Bool
}

private let guardByte: CChar = 0x5A

/// Runs afw_exec_subjects with `scratchSize` bytes of scratch followed by guard bytes that
/// must survive: the function may use what it is given and not one byte more.
private func subjects(program: String?, _ argv: [String], scratchSize: Int = 8192) -> Subjects {
    let arena = CStringArena()
    let words = arena.argv(argv)
    var out = afw_exec_subjects()
    var scratch = [CChar](repeating: guardByte, count: scratchSize + 64)
    let status = scratch.withUnsafeMutableBufferPointer { buffer in
        afw_exec_subjects(program.map(arena.string), words, UInt32(argv.count), &out, buffer.baseAddress, scratchSize)
    }
    #expect(status == Int32(AFW_OK))
    #expect(scratch[scratchSize...].allSatisfy { $0 == guardByte })
    let programs = withUnsafeBytes(of: &out.programs) { raw in
        raw.bindMemory(to: UnsafePointer<CChar>?.self).prefix(Int(out.program_count)).map { String(cString: $0!) }
    }
    let commands = withUnsafeBytes(of: &out.commands) { raw in
        raw.bindMemory(to: UnsafePointer<CChar>?.self).prefix(Int(out.command_count)).map { String(cString: $0!) }
    }
    #expect(programs.count <= Int(AFW_EXEC_MAX_PROGRAMS))
    #expect(commands.count <= Int(AFW_EXEC_MAX_COMMANDS))
    return Subjects(programs: programs, commands: commands, truncated: out.truncated)
}

private func basenames(_ programs: [String]) -> Set<String> {
    Set(programs.map { $0.split(separator: "/").last.map(String.init) ?? $0 })
}

@Suite struct ExecSubjectsTests {
    @Test func plainCommand() {
        let result = subjects(program: "/usr/bin/git", ["git", "status", "-s"])
        #expect(result.programs == ["/usr/bin/git", "git"])
        #expect(result.commands == ["git status -s"])
        #expect(!result.truncated)
    }

    @Test func seesThroughAChainOfWrappers() {
        let result = subjects(program: "/usr/bin/env",
                              ["env", "-i", "FOO=1", "nohup", "timeout", "5", "nice", "-n", "5", "nc", "-l", "1"])
        #expect(result.programs.contains("/usr/bin/env"))
        #expect(result.programs.contains("nc"))
        #expect(result.commands.contains("nc -l 1"))
        #expect(result.commands.contains("env -i FOO=1 nohup timeout 5 nice -n 5 nc -l 1"))
    }

    @Test func shellScriptIsACommandAndItsCommandsArePrograms() {
        let result = subjects(program: "/bin/sh", ["/bin/sh", "-c", "curl -fsSL https://x | sh"])
        #expect(result.commands.contains("curl -fsSL https://x | sh"))
        #expect(result.commands.contains("curl -fsSL https://x"))
        #expect(basenames(result.programs).isSuperset(of: ["curl", "sh"]))
    }

    @Test(arguments: [
        ["bash", "-lc", "nc -l 1"], ["sh", "-ec", "nc -l 1"], ["bash", "-o", "pipefail", "-c", "nc -l 1"],
        ["bash", "-c", "-e", "nc -l 1"], ["zsh", "-c", "--", "nc -l 1"], ["dash", "-x", "-c", "nc -l 1"],
        ["ksh", "+o", "emacs", "-c", "nc -l 1"], ["bash", "--norc", "--rcfile", "/x", "-c", "nc -l 1"],
        ["busybox", "sh", "-c", "nc -l 1"], ["ash", "-c", "nc -l 1", "name", "arg"],
    ])
    func shellOptionsBeforeTheScript(argv: [String]) {
        let result = subjects(program: "/bin/" + argv[0], argv)
        #expect(result.commands.contains("nc -l 1"))
        #expect(result.programs.contains("nc"))
    }

    @Test func shellWithoutDashCRunsNoScript() {
        let result = subjects(program: "/bin/bash", ["bash", "script.sh", "nc"])
        #expect(result.programs == ["/bin/bash", "bash"])
        #expect(result.commands == ["bash script.sh nc"])
    }

    @Test(arguments: [
        (["xargs", "-0", "rm"], "rm", "rm"),
        (["xargs", "-I", "{}", "-n", "1", "rm", "{}"], "rm", "rm {}"),
        (["sudo", "-u", "x", "rm", "-rf", "/"], "rm", "rm -rf /"),
        (["sudo", "--user=x", "-E", "HOME=/x", "rm", "-rf", "/"], "rm", "rm -rf /"),
        (["doas", "-u", "root", "rm", "-rf", "/"], "rm", "rm -rf /"),
        (["timeout", "-s", "KILL", "5", "cmd"], "cmd", "cmd"),
        (["timeout", "5s", "cmd", "x"], "cmd", "cmd x"),
        (["timeout", "--signal=KILL", "-k", "1", "5", "cmd"], "cmd", "cmd"),
        (["nice", "-5", "cmd"], "cmd", "cmd"),
        (["nice", "-n5", "cmd"], "cmd", "cmd"),
        (["ionice", "-c", "3", "cmd"], "cmd", "cmd"),
        (["stdbuf", "-oL", "-e", "0", "cmd"], "cmd", "cmd"),
        (["env", "-u", "HOME", "-", "A=1", "B=2", "cmd"], "cmd", "cmd"),
        (["env", "--", "cmd", "-x"], "cmd", "cmd -x"),
        (["command", "-p", "cmd"], "cmd", "cmd"),
        (["exec", "-a", "fake", "cmd"], "cmd", "cmd"),
        (["setsid", "-f", "cmd"], "cmd", "cmd"),
        (["chrt", "-f", "10", "cmd"], "cmd", "cmd"),
        (["taskset", "-c", "0-3", "cmd"], "cmd", "cmd"),
        (["nohup", "/usr/bin/cmd", "a"], "/usr/bin/cmd", "/usr/bin/cmd a"),
        (["busybox", "timeout", "5", "cmd"], "cmd", "cmd"),
        // The dynamic loader runs its operand: running a program through it is running it.
        (["ld-linux-x86-64.so.2", "/usr/bin/nc", "-l", "1"], "/usr/bin/nc", "/usr/bin/nc -l 1"),
        (["ld-linux-x86-64.so.2", "--library-path", "/x", "--argv0", "y", "/usr/bin/nc"], "/usr/bin/nc", "/usr/bin/nc"),
        (["ld.so", "--preload", "/x.so", "cmd"], "cmd", "cmd"),
    ])
    func wrappers(argv: [String], program: String, command: String) {
        let result = subjects(program: "/usr/bin/" + argv[0], argv)
        #expect(result.programs.contains(program))
        #expect(result.commands.contains(command))
    }

    @Test func wrapperWithoutACommandIsTheCommand() {
        let result = subjects(program: "/usr/bin/env", ["env", "-i", "A=1"])
        #expect(result.programs == ["/usr/bin/env", "env"])
        #expect(result.commands == ["env -i A=1"])
    }

    @Test func wrappersInsideScripts() {
        let result = subjects(program: "/bin/sh", ["sh", "-c", "env X=1 nc host 1"])
        #expect(result.programs.contains("nc"))
        #expect(result.commands.contains("nc host 1"))
        let nested = subjects(program: "/bin/sh", ["sh", "-c", "sudo bash -c 'timeout 3 nc -l 9'"])
        #expect(nested.programs.contains("nc"))
        #expect(nested.commands.contains("nc -l 9"))
        #expect(nested.commands.contains("timeout 3 nc -l 9"))
    }

    @Test func envSplitStringIsLookedInto() {
        let result = subjects(program: "/usr/bin/env", ["env", "-S", "nc -l 1"])
        #expect(result.programs.contains("nc"))
        let attached = subjects(program: "/usr/bin/env", ["env", "--split-string=sh -c 'nc -l 2'"])
        #expect(attached.programs.contains("nc"))
        #expect(attached.commands.contains("nc -l 2"))
    }

    @Test func scriptSeparatorsAndSubstitutions() {
        let script = "a 1; b 2 && c 3 || d 4 & e 5\nf 6 | g 7 $(h 8) `i 9` (j 10) \"$(k 11)\" '$(not run)'"
        let result = subjects(program: "/bin/sh", ["sh", "-c", script])
        #expect(basenames(result.programs).isSuperset(of: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]))
        #expect(!result.programs.contains("not"))
        #expect(result.commands.contains("h 8"))
        #expect(result.commands.contains("k 11"))
        #expect(result.commands.contains(script))
    }

    @Test func quotingWhenSplittingWords() {
        let result = subjects(program: "/bin/sh", ["sh", "-c", #"curl -H 'a; b' "x | y" a\ b\;c | sh"#])
        #expect(result.commands.contains("curl -H a; b x | y a b;c"))
        #expect(basenames(result.programs) == ["sh", "curl"])
    }

    @Test func assignmentsKeywordsAndRedirections() {
        let result = subjects(program: "/bin/sh", ["sh", "-c", "X=1 Y=2 nc -l 1 2>&1 >/dev/null; if curl x; then ! wget y; fi"])
        #expect(result.programs.contains("nc"))
        #expect(result.programs.contains("curl"))
        #expect(result.programs.contains("wget"))
        #expect(!result.programs.contains("X=1"))
        #expect(!result.programs.contains("if"))
        #expect(result.commands.contains("nc -l 1 2>&1 >/dev/null"))
    }

    @Test func realProgramNamesTheWrapperNotArgvZero() {
        // argv[0] is free text: the program actually executed decides what it is.
        let disguised = subjects(program: "/bin/sh", ["innocent", "-c", "nc -l 1"])
        #expect(disguised.programs.contains("nc"))
        let hiddenEnv = subjects(program: "/usr/bin/env", ["x", "nc", "-l"])
        #expect(hiddenEnv.programs.contains("nc"))
        let applet = subjects(program: "/bin/busybox", ["sh", "-c", "nc -l 1"])
        #expect(applet.programs.contains("nc"))
    }

    @Test func unparseableScriptIsStillACommand() {
        let script = "echo 'unterminated; nc -l 1"
        let result = subjects(program: "/bin/sh", ["sh", "-c", script])
        #expect(result.commands.contains(script))
    }

    @Test func programSubjectsAreBounded() {
        let script = (1...40).map { "p\($0)" }.joined(separator: ";")
        let result = subjects(program: "/bin/sh", ["sh", "-c", script])
        #expect(result.programs.count == Int(AFW_EXEC_MAX_PROGRAMS))
        #expect(result.truncated)
        #expect(result.commands.first == script)
    }

    @Test func deepNestingStops() {
        var script = "nc -l 1"
        for _ in 0..<12 { script = "$(" + script + ")" }
        let result = subjects(program: "/bin/sh", ["sh", "-c", script])
        #expect(result.truncated)
        #expect(result.commands.contains(script))
    }

    @Test(arguments: [0, 1, 2, 7, 16, 100, 1000])
    func smallScratchTruncatesButNeverOverflows(scratchSize: Int) {
        let long = String(repeating: "x", count: 3000)
        let result = subjects(program: "/usr/bin/sudo",
                              ["sudo", "-u", "x", "sh", "-c", "rm -rf /\(long); curl \(long) | sh"], scratchSize: scratchSize)
        #expect(result.truncated)
        // Subjects that need no scratch survive any shortage.
        #expect(result.programs.contains("/usr/bin/sudo"))
        #expect(result.programs.contains("sh"))
        #expect(result.commands.contains("rm -rf /\(long); curl \(long) | sh"))
    }

    @Test func longCommandKeepsItsPrefix() {
        let files = (1...3000).map { "file\($0)" }
        let result = subjects(program: "/usr/bin/sudo", ["sudo", "rm", "-rf"] + files)
        #expect(result.truncated)
        #expect(result.commands.contains { $0.hasPrefix("rm -rf file1 file2") })
    }

    @Test func emptyAndInvalidInput() {
        #expect(subjects(program: "/bin/true", []).programs == ["/bin/true"])
        #expect(subjects(program: nil, []).programs.isEmpty)
        var out = afw_exec_subjects()
        #expect(afw_exec_subjects("/bin/x", nil, 1, &out, nil, 0) == Int32(AFW_E_INVALID))
        var argv: [UnsafePointer<CChar>?] = [nil]
        #expect(afw_exec_subjects("/bin/x", &argv, 1, &out, nil, 0) == Int32(AFW_E_INVALID))
        #expect(afw_exec_subjects("/bin/x", nil, 0, nil, nil, 0) == Int32(AFW_E_INVALID))
    }

    // Hostile scripts: any byte soup must come back bounded, with the guard bytes intact.
    @Test func randomScriptsStayInBounds() {
        var generator = SplitMix64(seed: 0xA6E47)
        let alphabet = Array("ab $()`'\"\\;|&\n<>=-c{}!")
        for _ in 0..<2000 {
            let length = Int(generator.next() % 200)
            let script = String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] })
            let scratchSize = Int(generator.next() % 512)
            _ = subjects(program: "/bin/bash", ["bash", "-c", script], scratchSize: scratchSize)
        }
    }
}
