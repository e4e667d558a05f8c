import AgentFirewallPolicy
import AgentFirewallSupervisor
import Foundation
import Testing

@Suite struct AuditWriterTests {
    let directory = TemporaryDirectory()

    func fileRecord(path: [UInt8], requested: [UInt8]? = nil, decision: Decision, review: ReviewResolution? = nil)
        -> AuditRecord
    {
        AuditRecord(
            timeNanoseconds: 1_795_600_800_123_456_789, pid: 4242, parentPID: 4200, executable: Array("/usr/bin/cat".utf8),
            operation: Array("openat".utf8), subject: .file(path: path, requestedPath: requested, access: [.read, .write]),
            decision: decision, monitor: false, path: .fast, latencyNanoseconds: 850, review: review)
    }

    func summary(exitStatus: Int32 = 0) -> AuditSummary {
        AuditSummary(dropped: 3, malformed: 2, allowedCounted: 7, policyName: "default", policySource: "builtin:default",
                     context: testContext, monitor: false, exitStatus: exitStatus)
    }

    @Test func writesTheSpecFieldsAndASummaryLast() throws {
        let path = directory.file("audit.jsonl")
        let writer = try AuditWriter(creatingAt: path)
        let decision = Decision(action: .block, ruleIndex: 0, ruleID: "secrets.dotenv", reason: "No .env files.")
        writer.write(fileRecord(path: Array("/home/dev/app/.env".utf8), requested: Array("/home/dev/app/link".utf8),
                                decision: decision))
        #expect(writer.finish(with: summary(exitStatus: 3)) == nil)

        let lines = try auditLines(path)
        #expect(lines.count == 2)
        let record = lines[0]
        #expect(record["seq"] as? Int == 1)
        #expect(record["time"] as? String == "2026-11-25T10:00:00.123456Z")
        #expect(record["pid"] as? Int == 4242)
        #expect(record["ppid"] as? Int == 4200)
        #expect(record["exe"] as? String == "/usr/bin/cat")
        #expect(record["surface"] as? String == "file")
        #expect(record["op"] as? String == "openat")
        #expect(record["access"] as? String == "read,write")
        #expect(record["subject"] as? String == "/home/dev/app/.env")
        #expect(record["requested"] as? String == "/home/dev/app/link")
        #expect(record["decision"] as? String == "block")
        #expect(record["rule"] as? String == "secrets.dotenv")
        #expect(record["reason"] as? String == "No .env files.")
        #expect(record["mode"] as? String == "enforce")
        #expect(record["path"] as? String == "fast")
        #expect(record["latency_ns"] as? Int == 850)
        #expect(record["truncated"] == nil)
        #expect(record["static_binary"] == nil)
        #expect(record["outcome"] == nil)

        let last = lines[1]
        #expect(last["summary"] as? Bool == true)
        #expect(last["events"] as? Int == 1)
        #expect(last["dropped"] as? Int == 3)
        #expect(last["malformed"] as? Int == 2)
        #expect(last["allowed_counted"] as? Int == 7)
        #expect(last["policy"] as? String == "default")
        #expect(last["cwd"] as? String == "/work/project")
        #expect(last["home"] as? String == "/home/tester")
        #expect(last["exit_status"] as? Int == 3)
    }

    @Test func ruleIsNullForASurfaceDefaultAndRequestedIsLeftOutWhenSame() throws {
        let path = directory.file("audit.jsonl")
        let writer = try AuditWriter(creatingAt: path)
        let decision = Decision(action: .allow, ruleIndex: -1, ruleID: nil, reason: "no rule matched; the file default is allow")
        writer.write(fileRecord(path: Array("/etc/hostname".utf8), requested: Array("/etc/hostname".utf8), decision: decision))
        _ = writer.finish(with: summary())
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#""rule":null"#))
        #expect(try auditLines(path)[0]["requested"] == nil)
    }

    @Test func seqIsGaplessFromOne() throws {
        let path = directory.file("audit.jsonl")
        let writer = try AuditWriter(creatingAt: path)
        let decision = Decision(action: .allow, ruleIndex: -1, ruleID: nil, reason: "")
        for index in 0..<2500 {
            writer.write(fileRecord(path: Array("/tmp/file\(index)".utf8), decision: decision))
        }
        _ = writer.finish(with: summary())
        let lines = try auditLines(path)
        #expect(lines.dropLast().map { $0["seq"] as? Int } == Array(1...2500))
        #expect(lines.last?["events"] as? Int == 2500)
    }

    @Test func escapesControlCharactersQuotesAndInvalidUTF8() throws {
        let path = directory.file("audit.jsonl")
        let writer = try AuditWriter(creatingAt: path)
        // A newline would forge a second record; ESC would reach the reader's terminal; 0xFF
        // and a lone continuation byte are not UTF-8; "é" and "😀" are and must stay.
        let hostile: [UInt8] = Array("/tmp/a\"b\\c\nd\te".utf8) + [0x1B, 0x7F, 0xFF, 0x80] + Array("é😀".utf8)
            + [0xED, 0xA0, 0x80]  // an encoded surrogate: not valid UTF-8 either
        let decision = Decision(action: .block, ruleIndex: 0, ruleID: "r", reason: "line1\nline2")
        writer.write(fileRecord(path: hostile, decision: decision))
        _ = writer.finish(with: summary())

        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.split(separator: "\n").count == 2)
        #expect(text.contains(#""/tmp/a\"b\\c\nd\te\u001b\u007f\ufffd\ufffdé😀\ufffd\ufffd\ufffd""#))
        let record = try auditLines(path)[0]
        #expect(record["subject"] as? String == "/tmp/a\"b\\c\nd\te\u{1B}\u{7F}\u{FFFD}\u{FFFD}é😀\u{FFFD}\u{FFFD}\u{FFFD}")
        #expect(record["reason"] as? String == "line1\nline2")
    }

    @Test func execSubjectIsTheArgvArray() throws {
        let path = directory.file("audit.jsonl")
        let writer = try AuditWriter(creatingAt: path)
        writer.write(AuditRecord(
            timeNanoseconds: 0, pid: 1, parentPID: 0, executable: Array("/bin/sh".utf8), operation: Array("execve".utf8),
            subject: .exec(program: Array("/usr/bin/curl".utf8), argv: [Array("curl".utf8), Array("-s".utf8), []]),
            decision: Decision(action: .review, ruleIndex: 2, ruleID: "exec.curl", reason: "Downloads."),
            monitor: true, path: .slow, latencyNanoseconds: 12, truncated: true,
            review: ReviewResolution(outcome: .block, answeredBy: "--approve deny"), staticBinary: true))
        _ = writer.finish(with: summary())
        let record = try auditLines(path)[0]
        #expect(record["time"] as? String == "1970-01-01T00:00:00.000000Z")
        #expect(record["surface"] as? String == "exec")
        #expect(record["subject"] as? [String] == ["curl", "-s", ""])
        #expect(record["program"] as? String == "/usr/bin/curl")
        #expect(record["access"] == nil)
        #expect(record["decision"] as? String == "review")
        #expect(record["outcome"] as? String == "block")
        #expect(record["answered_by"] as? String == "--approve deny")
        #expect(record["mode"] as? String == "monitor")
        #expect(record["path"] as? String == "slow")
        #expect(record["truncated"] as? Bool == true)
        #expect(record["static_binary"] as? Bool == true)
    }

    @Test(arguments: [
        (IPAddress("127.0.0.1")!, "localhost", "localhost:8080", "localhost", "127.0.0.1"),
        (IPAddress("127.0.0.1")!, nil, "127.0.0.1:8080", nil, "127.0.0.1"),
        (IPAddress("::1")!, nil, "[::1]:8080", nil, "::1"),
        (IPAddress("::1")!, "ip6-localhost", "ip6-localhost:8080", "ip6-localhost", "::1"),
    ] as [(IPAddress, String?, String, String?, String)])
    func networkSubject(address: IPAddress, host: String?, subject: String, hostField: String?, addressField: String)
        throws
    {
        let path = directory.file("audit.jsonl")
        let writer = try AuditWriter(creatingAt: path)
        writer.write(AuditRecord(
            timeNanoseconds: 0, pid: 1, parentPID: 0, executable: [], operation: Array("connect".utf8),
            subject: .network(address: address, port: 8080, host: host.map { Array($0.utf8) }),
            decision: Decision(action: .allow, ruleIndex: 0, ruleID: "net.loopback", reason: ""),
            monitor: false, path: .fast, latencyNanoseconds: 1))
        _ = writer.finish(with: summary())
        let record = try auditLines(path)[0]
        #expect(record["subject"] as? String == subject)
        #expect(record["host"] as? String == hostField)
        #expect((record["host"] is NSNull) == (hostField == nil))
        #expect(record["address"] as? String == addressField)
        #expect(record["port"] as? Int == 8080)
    }

    @Test func theAuditFileIsPrivateToItsOwner() throws {
        let path = directory.file("audit.jsonl")
        _ = try AuditWriter(creatingAt: path).finish(with: summary())
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int).map { $0 & 0o077 } == 0)
    }

    @Test func anUncreatableAuditFileIsAnError() {
        #expect(throws: (any Error).self) { try AuditWriter(creatingAt: directory.file("missing-dir/audit.jsonl")) }
    }
}
