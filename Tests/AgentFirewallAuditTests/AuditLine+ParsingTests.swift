import AgentFirewallAudit
import AgentFirewallPolicy
import Testing

@Suite struct AuditLineParsingTests {
    let file = #"{"seq":3,"time":"2026-11-25T10:00:00.123456Z","pid":42,"ppid":1,"exe":"/usr/bin/cat","surface":"file","op":"openat","access":"read,write","subject":"/a/.env","requested":"/a/link","decision":"block","rule":"secrets.dotenv","reason":"no","mode":"enforce","path":"fast","latency_ns":850}"#

    @Test func readsAFileRecord() throws {
        let line = try parsed(file)
        #expect(line.kind == .event)
        #expect(line.sequence == 3)
        #expect(line.surface == .file)
        #expect(line.action == .block)
        #expect(line.ruleID == "secrets.dotenv")
        #expect(line.access == [.read, .write])
        #expect(line.subjectText == "/a/.env")
        #expect(line.requestedPath == "/a/link")
        #expect(line.pid == 42 && line.parentPID == 1)
        #expect(line.executable == "/usr/bin/cat")
        #expect(line.time == "2026-11-25T10:00:00.123456Z")
    }

    @Test func readsExecAndNetworkRecords() throws {
        let exec = try parsed(#"{"seq":1,"time":"t","pid":1,"surface":"exec","op":"execve","subject":["sh","-c","a b"],"program":"/bin/sh","decision":"allow","rule":null,"reason":"r"}"#)
        #expect(exec.argv == ["sh", "-c", "a b"])
        #expect(exec.program == "/bin/sh")
        #expect(exec.ruleID == nil)
        let network = try parsed(#"{"seq":1,"time":"t","pid":1,"surface":"network","op":"connect","subject":"[::1]:22","host":null,"address":"::1","port":22,"decision":"review","rule":null,"reason":"r","outcome":"block"}"#)
        #expect(network.address == IPAddress("::1"))
        #expect(network.port == 22)
        #expect(network.host == nil)
        #expect(network.reviewOutcome == .block)
    }

    @Test func readsASummary() throws {
        let line = try parsed(#"{"summary":true,"events":7,"dropped":2,"malformed":1,"allowed_counted":3,"policy":"p","policy_source":"builtin:p","cwd":"/w","home":"/h","mode":"monitor","exit_status":4}"#)
        #expect(line.kind == .summary)
        let summary = line.runSummary
        #expect(summary.events == 7 && summary.dropped == 2 && summary.allowedCounted == 3)
        #expect(summary.context == PolicyContext(home: "/h", workingDirectory: "/w"))
        #expect(summary.monitor)
        #expect(summary.exitStatus == 4)
    }

    @Test func decodesEscapes() throws {
        let line = try parsed(#"{"seq":1,"time":"t","pid":1,"surface":"file","op":"open","access":"read","subject":"/a\/b\"c\\d\u00e9\ud83d\ude00\ud800x\n","decision":"allow","rule":null,"reason":"r"}"#)
        #expect(line.subjectText == "/a/b\"c\\dé😀\u{FFFD}x\n")
    }

    @Test func skipsUnknownKeysOfAnyShape() throws {
        let line = try parsed(#"{"future":{"a":[1,2.5e3,{"b":null}],"c":"\""},"seq":1,"time":"t","pid":1,"surface":"file","op":"open","access":"","subject":"/x","decision":"log","rule":"r","reason":"r", "spaced" : true }"#)
        #expect(line.access == [])
        #expect(line.action == .log)
    }

    @Test(arguments: [
        ("", "expected '{'"),
        ("[]", "expected '{'"),
        (#"{"seq":1"#, "expected ',' or '}'"),
        (#"{"seq":1} x"#, "the end of the line"),
        (#"{"seq":"1"}"#, "\"seq\" must be a whole number"),
        (#"{"time":"t"}"#, "\"seq\" is missing"),
        (#"{"seq":1.5}"#, "\"seq\" must be a whole number"),
        (#"{"seq":0}"#, "\"seq\" is 0"),
        (#"{"seq":99999999999999999999}"#, "too large"),
        (#"{"seq":1,"seq":2}"#, "\"seq\" appears twice"),
        (#"{"exe":"\u0000"}"#, "NUL"),
        ("{\"exe\":\"a\tb\"}", "raw control character"),
        (#"{"exe":"\q"}"#, "no JSON escape"),
        (#"{"exe":"\u12"}"#, "four hex digits"),
        (#"{"exe":"open"#, "not closed"),
        (#"{"seq":{}}"#, "must not be an object"),
    ])
    func refusesWhatIsNoRecord(line: String, message: String) {
        let found = problem(line)
        #expect(found?.message.contains(message) == true, "\(line): \(String(describing: found))")
    }

    @Test func refusesValuesOutsideTheVocabulary() {
        let base = #"{"seq":1,"time":"t","pid":1,"op":"o","reason":"r","rule":null,"#
        #expect(problem(base + #""surface":"disk","decision":"allow","subject":"/x","access":"read"}"#)?.message
            == "\"surface\" is \"disk\"; it must be one of file, exec, network")
        #expect(problem(base + #""surface":"file","decision":"maybe","subject":"/x","access":"read"}"#)?.message
            .contains("\"decision\" is \"maybe\"") == true)
        #expect(problem(base + #""surface":"file","decision":"allow","subject":"/x","access":"read,delete"}"#)?.message
            .contains("\"access\"") == true)
        #expect(problem(base + #""surface":"exec","decision":"allow","subject":"sh","program":"/bin/sh"}"#)?.message
            == "\"subject\" must be argv, a list of strings")
        #expect(problem(base + #""surface":"exec","decision":"allow","subject":["sh",1],"program":"/bin/sh"}"#)?.message
            == "\"subject\" must be a list of strings")
        #expect(problem(base + #""surface":"network","decision":"allow","subject":"h:1","address":"1.2.3","port":1}"#)?.message
            .contains("IPv4 or IPv6") == true)
        #expect(problem(base + #""surface":"network","decision":"allow","subject":"h:1","address":"1.2.3.4","port":70000}"#)?.message
            .contains("\"port\" is 70000") == true)
        #expect(problem(#"{"summary":true,"events":1,"dropped":0,"cwd":"relative","home":"/h"}"#)?.message
            == "\"cwd\" must be an absolute path")
    }

    @Test func refusesDeepNestingWithoutRunningOutOfStack() {
        let deep = #"{"x":"# + String(repeating: "[", count: 100_000) + "}"
        #expect(problem(deep)?.message.contains("nested deeper") == true)
    }

    @Test func aLineCanBeParsedAgainAfterAFailure() throws {
        var line = AuditLine()
        let bad = Array(#"{"seq":1,"#.utf8)
        #expect(throws: AuditLineProblem.self) {
            try bad.withUnsafeBufferPointer { bytes throws(AuditLineProblem) in try line.parse(bytes) }
        }
        try Array(file.utf8).withUnsafeBufferPointer { bytes throws(AuditLineProblem) in try line.parse(bytes) }
        #expect(line.subjectText == "/a/.env")
    }
}
