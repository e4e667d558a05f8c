import Foundation
import Testing

/// Reviews that pause the agent until a person answers: on the terminal (driven through a
/// pseudo-terminal), through the control socket from another process, by the timeout, and
/// by Ctrl-C. The test policy reviews connections to 127.0.0.3.
@Suite struct ReviewTests {
    /// Runs argv[2:] as the session leader of a new pseudo-terminal (so the pty is its
    /// controlling terminal, and stdin and stderr are terminals), answers the n-th question
    /// with the n-th comma-separated word of argv[1] ("^C" types Ctrl-C), and prints the
    /// transcript and the exit status as JSON. It reads until the terminal closes: no timers.
    static let ptyDriver = """
        import json, os, pty, sys
        answers = [a for a in sys.argv[1].split(',') if a]
        pid, master = pty.fork()
        if pid == 0:
            os.execv(sys.argv[2], sys.argv[2:])
        transcript = b''
        asked = 0
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:
                break
            if not chunk:
                break
            transcript += chunk
            if transcript.count(b'answer> ') > asked and asked < len(answers):
                answer = answers[asked]
                os.write(master, b'\\x03' if answer == '^C' else answer.encode() + b'\\n')
                asked += 1
        _, status = os.waitpid(pid, 0)
        print(json.dumps({'status': os.waitstatus_to_exitcode(status), 'transcript': transcript.decode(errors='replace')}))
        """

    /// `agentfirewall run ... -- command` on a pseudo-terminal, answering as `answers` says.
    func onTerminal(
        _ workspace: Workspace, _ command: [String], answers: [String], options: [String] = []
    ) throws -> (status: Int, transcript: String) {
        workspace.write("pty-driver.py", ReviewTests.ptyDriver)
        let outcome = try Command.run(
            "python3",
            [workspace.file("pty-driver.py"), answers.joined(separator: ","), Build.firewall, "run",
             "--policy", workspace.file("policy.yaml"), "--audit", workspace.file("audit.jsonl")] + options + ["--"] + command,
            in: workspace.path, environment: workspace.reviewEnvironment, timeout: 60)
        let result = try #require(
            try JSONSerialization.jsonObject(with: Data(outcome.stdout.utf8)) as? [String: Any], "\(outcome.stderr)")
        return (try #require(result["status"] as? Int), try #require(result["transcript"] as? String))
    }

    /// `agentfirewall run --approve ask ...` with no controlling terminal (setsid): only the
    /// control socket and the timeout answer. `reviewer` runs on its own thread while the
    /// run goes on.
    func withoutTerminal(
        _ workspace: Workspace, _ command: [String], options: [String] = [],
        reviewer: @escaping @Sendable (Reviewer) -> Void = { _ in }
    ) throws -> Outcome {
        let done = DispatchSemaphore(value: 0)
        let (path, environment) = (workspace.path, workspace.reviewEnvironment)
        let outcome = try Command.run(
            "/usr/bin/setsid",
            ["-w", Build.firewall, "run", "--policy", workspace.file("policy.yaml"), "--audit", workspace.file("audit.jsonl"),
             "--approve", "ask"] + options + ["--"] + command,
            in: workspace.path, environment: workspace.reviewEnvironment, timeout: 60
        ) { firewall in
            Thread.detachNewThread {
                reviewer(Reviewer(run: String(firewall), workspace: path, environment: environment))
                done.signal()
            }
        }
        // Bounded: a reviewer stuck on a run that failed early must fail the test, not hang it.
        if done.wait(timeout: .now() + 60) == .timedOut { Issue.record("the reviewer did not finish") }
        return outcome
    }

    func reviewRecords(_ workspace: Workspace) throws -> [[String: Any]] {
        try workspace.audit().filter { $0["decision"] as? String == "review" }
    }

    @Test func theTerminalAsksAndAnAnswerOfAllowOrDenyAppliesOnce() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        let connect = "\(Build.probe) connect 127.0.0.3 \(listener.port)"
        // The agent's own output goes to files: the question must not reach it.
        let (status, transcript) = try onTerminal(
            workspace, ["bash", "-c", "\(connect) > first.txt; \(connect) > second.txt"], answers: ["a", "d"])
        #expect(status == 0, "\(transcript)")
        #expect(try String(contentsOfFile: workspace.file("first.txt"), encoding: .utf8) == "ok\n")
        #expect(try String(contentsOfFile: workspace.file("second.txt"), encoding: .utf8) == "errno=13\n")
        #expect(listener.hasPendingInput)
        #expect(transcript.contains("agentfirewall: review 1: network connect 127.0.0.3:\(listener.port)"))
        #expect(transcript.contains("rule:    test.reviewed-address: the test's reviewed address"))
        #expect(transcript.contains("process: "), "\(transcript)")
        #expect(transcript.contains("\(Build.probe)\r\n  parents: "), "\(transcript)")
        #expect(transcript.contains("/bash"))
        #expect(transcript.contains("[a] allow once  [d] deny once  [A] allow for this run  [D] deny for this run"))
        #expect(transcript.contains("agentfirewall: review 2: network connect"))

        let records = try reviewRecords(workspace)
        #expect(records.map { $0["outcome"] as? String } == ["allow", "block"])
        #expect(records.map { $0["answered_by"] as? String } == ["terminal", "terminal"])
        #expect(records.map { $0["review_id"] as? Int } == [1, 2])
        #expect(records.allSatisfy { ($0["waited_ns"] as? Int ?? 0) > 0 })
    }

    @Test func allowForTheRunAsksOnceForTheSameRuleAndSubject() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        let connect = "\(Build.probe) connect 127.0.0.3 \(listener.port)"
        // A line that is no answer shows the choices again instead of guessing.
        let (status, transcript) = try onTerminal(
            workspace, ["bash", "-c", "\(connect); \(connect); \(connect)"], answers: ["yes", "A"])
        #expect(status == 0, "\(transcript)")
        #expect(transcript.components(separatedBy: "ok\r\n").count == 4, "\(transcript)")
        #expect(listener.hasPendingInput)
        #expect(!transcript.contains("review 2"))
        let records = try reviewRecords(workspace)
        #expect(records.map { $0["outcome"] as? String } == ["allow", "allow", "allow"])
        #expect(records.map { $0["answered_by"] as? String }
            == ["terminal, for this run", "terminal, for this run (review 1)", "terminal, for this run (review 1)"])
    }

    /// An interactive shell gives its jobs a process group of their own and the terminal's
    /// foreground, which leaves the supervisor in the background: the question takes the
    /// foreground to be answered, and gives it back.
    @Test func theQuestionReachesAPersonThroughAnInteractiveShell() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        let connect = "\(Build.probe) connect 127.0.0.3 \(listener.port)"
        let (status, transcript) = try onTerminal(
            workspace, ["bash", "--norc", "--noprofile", "-i", "-c", "\(connect); \(connect); true"], answers: ["a", "d"])
        #expect(status == 0, "\(transcript)")
        #expect(transcript.contains("ok\r\n"), "\(transcript)")
        #expect(transcript.contains("errno=13\r\n"), "\(transcript)")
        #expect(listener.hasPendingInput)
        let records = try reviewRecords(workspace)
        #expect(records.map { $0["outcome"] as? String } == ["allow", "block"])
    }

    /// The agent names its files and writes its command lines: what it chose is shown, never
    /// acted on by the terminal (an escape sequence could erase or redraw the question).
    @Test func aCommandLineIsShownQuotedAndWithItsControlCharactersVisible() throws {
        let workspace = try Workspace()
        workspace.write("policy.yaml", Workspace.policy + """
              - id: test.reviewed-echo
                surface: exec
                match: {program: [echo]}
                action: review
                reason: the test's reviewed program

            """)
        let (status, transcript) = try onTerminal(
            workspace, ["bash", "-c", "/bin/echo $'a\\e[2Kb' 'x y' > echoed.txt; true"], answers: ["a", "a"])
        #expect(status == 0, "\(transcript)")
        // COMMAND itself is reviewed (the rule sees through `bash -c`), once: the backstop,
        // which sees the launch's exec, does not ask again.
        #expect(transcript.contains("agentfirewall: review 1: exec posix_spawn bash -c '/bin/echo $'\\''a\\e[2Kb"), "\(transcript)")
        #expect(transcript.contains("agentfirewall: review 2: exec "), "\(transcript)")
        #expect(!transcript.contains("review 3"))
        #expect(transcript.contains(" /bin/echo 'a\\u{1b}[2Kb' 'x y'\r\n"), "\(transcript)")
        #expect(!transcript.contains("\u{1b}[2K"))
        #expect(try String(contentsOfFile: workspace.file("echoed.txt"), encoding: .utf8) == "a\u{1b}[2Kb x y\n")
    }

    /// Ctrl-C at the question: pending reviews are denied and the agent is stopped with
    /// SIGTERM, even one that ignores SIGINT.
    @Test func ctrlCDeniesPendingReviewsAndStopsTheAgent() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        let script = """
            import signal, socket, sys
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            def stop(number, frame):
                open('got-signal', 'w').write(str(number))
                sys.exit(5)
            signal.signal(signal.SIGTERM, stop)
            try:
                socket.create_connection(('127.0.0.3', \(listener.port)))
            except OSError as error:
                open('connect-errno', 'w').write(str(error.errno))
            while True:
                signal.pause()
            """
        let (status, transcript) = try onTerminal(workspace, ["python3", "-c", script], answers: ["^C"])
        #expect(status == 5, "\(transcript)")
        #expect(try String(contentsOfFile: workspace.file("got-signal"), encoding: .utf8) == String(SIGTERM))
        #expect(!listener.hasPendingInput)
        let record = try #require(try reviewRecords(workspace).first)
        #expect(record["outcome"] as? String == "block")
        #expect((record["answered_by"] as? String)?.hasPrefix("interrupted") == true)
    }

    /// COMMAND itself under review is asked about before it starts; Ctrl-C at that question
    /// denies it, and COMMAND never runs.
    @Test func ctrlCAtTheQuestionAboutCommandItselfDeniesIt() throws {
        let workspace = try Workspace()
        workspace.write("bin/reviewed-tool", "#!/bin/sh\necho reviewed-tool-ran\n", executable: true)
        workspace.write("policy.yaml", Workspace.policy + """
              - id: test.reviewed-program
                surface: exec
                match: {program: [reviewed-tool]}
                action: review
                reason: the test's reviewed program

            """)
        let (status, transcript) = try onTerminal(workspace, ["reviewed-tool"], answers: ["^C"])
        #expect(status == 126, "\(transcript)")
        #expect(!transcript.contains("reviewed-tool-ran"))
        #expect(transcript.contains("review denied: the test's reviewed program"), "\(transcript)")
        let record = try #require(try reviewRecords(workspace).first)
        #expect((record["answered_by"] as? String)?.hasPrefix("interrupted (SIGINT)") == true, "\(record)")
    }

    /// TIOCSTI would let the agent type the answer to its own question.
    @Test func theAgentCannotTypeIntoTheTerminal() throws {
        let workspace = try Workspace()
        let script = """
            import fcntl, termios
            try:
                fcntl.ioctl(0, termios.TIOCSTI, b'A')
                print('typed')
            except OSError as error:
                print('errno', error.errno)
            """
        let (status, transcript) = try onTerminal(workspace, ["python3", "-c", script], answers: [])
        #expect(status == 0)
        #expect(transcript.contains("errno \(EPERM)"), "\(transcript)")
    }

    @Test func anUnattendedRunDeniesWithoutAsking() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        // stdin is /dev/null and stderr a file: nobody to ask, so the default is deny.
        let outcome = try Command.run(
            Build.firewall,
            ["run", "--policy", workspace.file("policy.yaml"), "--audit", workspace.file("audit.jsonl"), "--",
             Build.probe, "connect", "127.0.0.3", String(listener.port)],
            in: workspace.path, environment: workspace.reviewEnvironment)
        #expect(outcome.stdout == "errno=13\n")
        #expect(outcome.stderr.contains("review denied: the test's reviewed address"))
        #expect(!listener.hasPendingInput)
        let record = try #require(try reviewRecords(workspace).first)
        #expect(record["answered_by"] as? String == "--approve deny")
        #expect(!FileManager.default.fileExists(atPath: workspace.file("xdg/agentfirewall")))
    }

    @Test func aReviewNobodyAnswersIsDeniedWhenTheTimeoutPasses() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        let outcome = try withoutTerminal(
            workspace, [Build.probe, "connect", "127.0.0.3", String(listener.port)], options: ["--approval-timeout", "1"])
        #expect(outcome.stdout == "errno=13\n", "\(outcome.stderr)")
        #expect(outcome.stderr.contains("agentfirewall: no terminal to ask on; reviews wait for `agentfirewall approvals --run "))
        #expect(!listener.hasPendingInput)
        let record = try #require(try reviewRecords(workspace).first)
        #expect(record["answered_by"] as? String == "timeout after 1 s (--approval-timeout)")
        #expect((record["waited_ns"] as? Int ?? 0) >= 1_000_000_000)
    }

    /// Another process answers through the control socket: a program speaking the protocol
    /// (this test) and `agentfirewall approvals`.
    @Test func anotherProcessAnswersThroughTheControlSocket() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        let subject = "127.0.0.3:\(listener.port)"
        let seen = Findings()
        // The agent stays until the reviewer is done: it reads a FIFO the reviewer closes last.
        #expect(mkfifo(workspace.file("go"), 0o600) == 0)
        let agent = "\(Build.probe) connect 127.0.0.3 \(listener.port); read line < go"
        let outcome = try withoutTerminal(workspace, ["bash", "-c", agent]) { reviewer in
            // Last, however the reviewer ends: lets the agent end.
            defer { close(open(reviewer.workspace + "/go", O_WRONLY)) }
            guard let control = reviewer.controlConnection() else { return seen.note("no control socket") }
            control.send(#"{"op":"nonsense"}"#)
            seen.note("error: \(control.receive()?["error"] as? String ?? "none")")
            control.send(#"{"op":"watch"}"#)
            seen.note("watching: \(control.receive()?["watching"] as? String == reviewer.run)")
            let review = control.receive()?["review"] as? [String: Any]
            seen.note("pending: \(review?["id"] as? Int ?? 0) \(review?["subject"] as? String ?? "") \(review?["rule"] as? String ?? "")")
            let list = try? Command.run(Build.firewall, ["approvals", "list"], environment: reviewer.environment)
            seen.note("list: \(list?.stdout ?? "")")
            let approve = try? Command.run(
                Build.firewall, ["approvals", "approve", "1", "--run", reviewer.run], environment: reviewer.environment)
            seen.note("approve: \(approve?.status ?? -1) \(approve?.stdout ?? "")")
            let resolved = control.receive()
            seen.note("resolved: \(resolved?["event"] as? String ?? "") \(resolved?["outcome"] as? String ?? "")")
            let late = try? Command.run(
                Build.firewall, ["approvals", "deny", "1", "--run", reviewer.run], environment: reviewer.environment)
            seen.note("late: \(late?.status ?? -1) \(late?.stderr ?? "")")
        }
        #expect(outcome.stdout == "ok\n", "\(outcome.stderr)")
        #expect(listener.hasPendingInput)
        let notes = seen.all
        #expect(notes.count == 7, "\(notes)")
        guard notes.count == 7 else { return }
        #expect(notes[0].hasPrefix("error: \"op\" is one of list, watch, answer"))
        #expect(notes[1] == "watching: true")
        #expect(notes[2] == "pending: 1 \(subject) test.reviewed-address")
        #expect(notes[3].hasPrefix("list: 1\t"))
        #expect(notes[3].contains("\tnetwork\t\(subject)\ttest.reviewed-address\tpid "))
        #expect(notes[4].hasPrefix("approve: 0 review 1 of run "))
        #expect(notes[5] == "resolved: resolved allow")
        #expect(notes[6].hasPrefix("late: 1 agentfirewall: no review 1 is pending"))
        let record = try #require(try reviewRecords(workspace).first)
        #expect(record["outcome"] as? String == "allow")
        #expect((record["answered_by"] as? String)?.hasPrefix("socket: agentfirewall approvals (pid ") == true)
        #expect(record["path"] as? String == "slow")
        // The run's directory goes with the run.
        #expect(ApprovalsRuns.in(workspace).isEmpty)
    }

    /// The agent runs as the same user and can find the control socket; what runs under its
    /// seccomp filters is refused there, so that it cannot answer its own reviews.
    @Test func theAgentCannotAnswerItsOwnReviewsThroughTheSocket() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        workspace.write("answer.py", """
            import json, os, socket, sys
            control = socket.socket(socket.AF_UNIX)
            control.connect(os.environ['XDG_RUNTIME_DIR'] + '/agentfirewall/' + sys.argv[1] + '/control.sock')
            replies = control.makefile('rw')
            try:
                replies.write('{"op":"watch"}\\n')
                replies.flush()
            except BrokenPipeError:
                pass  # refused: the supervisor said why and hung up, maybe before this was sent
            for line in replies:
                sys.stdout.write(line)
                event = json.loads(line)
                if event.get('event') == 'pending':
                    replies.write(json.dumps({'op': 'answer', 'id': event['review']['id'], 'answer': 'allow-once'}) + '\\n')
                    replies.flush()
                if 'answered' in event:
                    break
            """)
        // $PPID in the script is the supervisor: the run's name.
        let script = "\(Build.probe) connect 127.0.0.3 \(listener.port) > connect.txt & python3 answer.py $PPID > answer.txt; wait"
        let outcome = try withoutTerminal(workspace, ["bash", "-c", script], options: ["--approval-timeout", "1"])
        let answer = try String(contentsOfFile: workspace.file("answer.txt"), encoding: .utf8)
        #expect(answer.hasPrefix(#"{"error":"refused: pid "#), "\(answer) \(outcome.stderr)")
        #expect(answer.contains("the agent cannot answer its own reviews"))
        #expect(try String(contentsOfFile: workspace.file("connect.txt"), encoding: .utf8) == "errno=13\n")
        #expect(!listener.hasPendingInput)
        let record = try #require(try reviewRecords(workspace).first)
        #expect(record["answered_by"] as? String == "timeout after 1 s (--approval-timeout)")
    }

    /// A caller killed while it waits takes its question with it; the queue moves on, and the
    /// audit still says what was asked and how it ended, from the shim's slow path and from
    /// the backstop (the static probe) alike.
    @Test(arguments: [Build.probe, Build.staticProbe])
    func aReviewWhoseCallerEndedLeavesTheQueue(probe: String) throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        let seen = Findings()
        // The agent outlives its caller until the reviewer is done (it reads a FIFO).
        #expect(mkfifo(workspace.file("go"), 0o600) == 0)
        let agent = "\(probe) connect 127.0.0.3 \(listener.port) & echo $! > caller.tmp; mv caller.tmp caller; wait; read line < go"
        let outcome = try withoutTerminal(workspace, ["bash", "-c", agent]) { reviewer in
            // Last, however the reviewer ends: lets the agent end.
            defer { close(open(reviewer.workspace + "/go", O_WRONLY)) }
            guard let control = reviewer.controlConnection() else { return seen.note("no control socket") }
            control.send(#"{"op":"watch"}"#)
            _ = control.receive()
            let review = control.receive()?["review"] as? [String: Any]
            guard Workspace.waitFor("caller", in: reviewer.workspace),
                  let text = try? String(contentsOfFile: reviewer.workspace + "/caller", encoding: .utf8),
                  let caller = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)),
                  review?["pid"] as? Int == Int(caller)
            else { return seen.note("no caller") }
            kill(caller, SIGKILL)
            let resolved = control.receive()
            seen.note("\(resolved?["event"] as? String ?? "") \(resolved?["answered_by"] as? String ?? "")")
        }
        #expect(seen.all == ["resolved nobody: the caller ended before an answer"], "\(outcome.stderr)")
        #expect(!listener.hasPendingInput)
        let record = try #require(try reviewRecords(workspace).first)
        #expect(record["outcome"] as? String == "block")
    }

    /// Several threads of one process and several processes ask at once: every question is
    /// pending at the same time (nothing waits behind another's review), duplicates fold
    /// into one question, and one answer for the run covers each subject.
    @Test func concurrentReviewsFromThreadsAndProcessesQueue() throws {
        let workspace = try Workspace()
        let listeners = try (0..<3).map { _ in try LoopbackListener(address: "127.0.0.3") }
        let threads = """
            import os, socket, threading
            def connect():
                socket.create_connection(('127.0.0.3', \(listeners[0].port)))
                os.write(1, b'ok\\n')  # one write per line: print() from threads can interleave
            workers = [threading.Thread(target=connect) for _ in range(4)]
            [worker.start() for worker in workers]
            [worker.join() for worker in workers]
            """
        workspace.write("threads.py", threads)
        let script = "python3 threads.py & "
            + "\(Build.probe) connect 127.0.0.3 \(listeners[1].port) & \(Build.probe) connect 127.0.0.3 \(listeners[1].port) & "
            + "\(Build.probe) connect 127.0.0.3 \(listeners[2].port); wait"
        let seen = Findings()
        let outcome = try withoutTerminal(workspace, ["bash", "-c", script]) { reviewer in
            guard let control = reviewer.controlConnection() else { return seen.note("no control socket") }
            control.send(#"{"op":"watch"}"#)
            _ = control.receive()
            var pending: [Int] = []
            while pending.count < 3, let event = control.receive() {
                if let review = event["review"] as? [String: Any], let id = review["id"] as? Int { pending.append(id) }
            }
            seen.note("pending: \(pending.count)")
            for id in pending {
                control.send(#"{"op":"answer","id":\#(id),"answer":"allow-run","reviewer":"test"}"#)
                while let reply = control.receive(), reply["answered"] == nil, reply["error"] == nil {}
            }
        }
        #expect(seen.all == ["pending: 3"])
        #expect(listeners.allSatisfy { $0.hasPendingInput })
        #expect(outcome.stdout.components(separatedBy: "ok\n").count == 8, "\(outcome.stdout) \(outcome.stderr)")
        let records = try reviewRecords(workspace)
        #expect(records.count == 7)
        #expect(records.allSatisfy { $0["outcome"] as? String == "allow" })
        #expect(Set(records.compactMap { $0["review_id"] as? Int }).count == 3)
    }

    /// A static binary's connect reaches the backstop; its review waits for the answer
    /// without holding up the backstop, which serves the agent's other processes meanwhile.
    @Test func aReviewThroughTheBackstopPausesOnlyItsCaller() throws {
        let workspace = try Workspace()
        let listener = try LoopbackListener(address: "127.0.0.3")
        let probe = Build.staticProbe
        let script = "\(probe) connect 127.0.0.3 \(listener.port) > connect.txt & "
            + "\(probe) open notes.txt > open.txt && mv open.txt opened; wait"
        let seen = Findings()
        let outcome = try withoutTerminal(workspace, ["bash", "-c", script]) { reviewer in
            guard let control = reviewer.controlConnection() else { return seen.note("no control socket") }
            control.send(#"{"op":"watch"}"#)
            _ = control.receive()
            let review = control.receive()?["review"] as? [String: Any]
            seen.note("pending: \(review?["exe"] as? String ?? "")")
            seen.note("other process served: \(Workspace.waitFor("opened", in: reviewer.workspace))")
            control.send(#"{"op":"answer","id":1,"answer":"allow-once"}"#)
            seen.note("answered: \(control.receive()?["outcome"] as? String ?? "")")
        }
        #expect(seen.all == ["pending: \(probe)", "other process served: true", "answered: allow"], "\(outcome.stderr)")
        #expect(try String(contentsOfFile: workspace.file("connect.txt"), encoding: .utf8) == "ok\n")
        #expect(listener.hasPendingInput)
        let record = try #require(try reviewRecords(workspace).first)
        #expect(record["path"] as? String == "backstop")
        #expect(record["outcome"] as? String == "allow")
        #expect(record["exe"] as? String == probe)
        #expect((record["answered_by"] as? String)?.hasPrefix("socket (pid ") == true)
    }
}

/// What a reviewer thread saw, for the test thread to check afterwards.
final class Findings: @unchecked Sendable {
    private let lock = NSLock()
    private var notes: [String] = []

    func note(_ note: String) { lock.withLock { notes.append(note) } }
    var all: [String] { lock.withLock { notes } }
}

enum ApprovalsRuns {
    /// The run directories left in the workspace's runtime directory.
    static func `in`(_ workspace: Workspace) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: workspace.file("xdg/agentfirewall"))) ?? []
    }
}

/// One client connection to a run's control socket.
final class ControlConnection {
    private let descriptor: Int32
    private var input: [UInt8] = []

    init?(path: String) {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if connected != 0 {
            close(descriptor)
            return nil
        }
    }

    deinit { close(descriptor) }

    func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// The next reply line, or nil when the connection ends or nothing comes within 60 s.
    func receive() -> [String: Any]? {
        while true {
            if let newline = input.firstIndex(of: UInt8(ascii: "\n")) {
                let line = Data(input[..<newline])
                input.removeSubrange(...newline)
                return (try? JSONSerialization.jsonObject(with: line)) as? [String: Any]
            }
            var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 60_000) == 1 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            guard count > 0 else { return nil }
            input += buffer.prefix(count)
        }
    }
}

/// What a reviewer thread knows of the run it answers (a Workspace stays on the test's thread).
struct Reviewer: Sendable {
    /// The run's name: the supervisor's pid.
    let run: String
    let workspace: String
    let environment: [String: String]

    /// Connects to the run's control socket once the supervisor has made it, waiting on
    /// each directory with inotify for the next name to appear.
    func controlConnection() -> ControlConnection? {
        var directory = workspace + "/xdg"
        for name in ["agentfirewall", run, "control.sock"] {
            guard Workspace.waitFor(name, in: directory) else { return nil }
            directory += "/" + name
        }
        return ControlConnection(path: directory)
    }
}

extension Workspace {
    /// The workspace's environment with XDG_RUNTIME_DIR in the workspace, so that each
    /// test's control sockets are its own.
    var reviewEnvironment: [String: String] {
        let runtime = file("xdg")
        try? FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var environment = self.environment
        environment["XDG_RUNTIME_DIR"] = runtime
        return environment
    }
}
