import AgentFirewallAudit
import AgentFirewallPolicy
import CInterposeCore
import Testing

@Suite struct AuditLineTests {
    @Test func theEventViewIsTheRecordedEvent() throws {
        let file = try parsed(#"{"seq":1,"time":"t","pid":1,"surface":"file","op":"open","access":"write,create","subject":"/a/b","requested":"/a/c","decision":"allow","rule":null,"reason":"r"}"#)
        file.withEventView { view in
            #expect(view.pointee.surface == Surface.file.abiValue)
            #expect(view.pointee.access == FileAccess([.write, .create]).rawValue)
            #expect(String(cString: view.pointee.path) == "/a/b")
            #expect(String(cString: view.pointee.requested_path) == "/a/c")
        }
        let exec = try parsed(#"{"seq":1,"time":"t","pid":1,"surface":"exec","op":"execve","subject":["env","X=1","ls"],"program":"/usr/bin/env","decision":"allow","rule":null,"reason":"r"}"#)
        exec.withEventView { view in
            #expect(String(cString: view.pointee.program) == "/usr/bin/env")
            #expect(view.pointee.argc == 3)
            #expect((0..<3).map { String(cString: view.pointee.argv[$0]!) } == ["env", "X=1", "ls"])
        }
        let network = try parsed(#"{"seq":1,"time":"t","pid":1,"surface":"network","op":"connect","subject":"h.example:443","host":"h.example","address":"10.1.2.3","port":443,"decision":"allow","rule":null,"reason":"r"}"#)
        network.withEventView { view in
            #expect(view.pointee.family == 4)
            #expect(withUnsafeBytes(of: view.pointee.address) { Array($0.prefix(4)) } == [10, 1, 2, 3])
            #expect(view.pointee.port == 443)
            #expect(String(cString: view.pointee.host) == "h.example")
        }
    }

    @Test func theEventViewDecidesAsTheEventDoes() throws {
        // The engine gives the same answer for the view rebuilt from a line as for the Event
        // the live run decided: the point of replay.
        let engine = try engine()
        let line = try parsed(#"{"seq":1,"time":"t","pid":1,"surface":"network","op":"connect","subject":"api.example.com:443","host":"api.example.com","address":"93.184.216.34","port":443,"decision":"allow","rule":"net.api","reason":"r"}"#)
        let live = engine.decide(.network(address: IPAddress("93.184.216.34")!, port: 443, host: "api.example.com"))
        #expect(line.withEventView { engine.decide(view: $0) } == live)
        #expect(live.ruleID == "net.api")
    }

    @Test func comparesTheRecordedRuleWithoutBuildingIt() throws {
        let line = try parsed(#"{"seq":1,"time":"t","pid":1,"surface":"file","op":"open","access":"read","subject":"/x","decision":"block","rule":"a.b","reason":"r"}"#)
        #expect(line.ruleIs("a.b"))
        #expect(!line.ruleIs("a.bc"))
        #expect(!line.ruleIs(nil))
        let surfaceDefault = try parsed(#"{"seq":1,"time":"t","pid":1,"surface":"file","op":"open","access":"read","subject":"/x","decision":"allow","rule":null,"reason":"r"}"#)
        #expect(surfaceDefault.ruleIs(nil))
        #expect(!surfaceDefault.ruleIs("a.b"))
    }

    @Test func summarisesTheSubjectOnOneLine() throws {
        let exec = try parsed(#"{"seq":1,"time":"t","pid":1,"surface":"exec","op":"execve","subject":["git","log","-1"],"program":"/usr/bin/git","decision":"allow","rule":null,"reason":"r"}"#)
        #expect(exec.subjectSummary == "git log -1")
    }
}
