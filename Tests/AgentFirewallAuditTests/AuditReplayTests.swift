import AgentFirewallAudit
import AgentFirewallPolicy
import Testing

@Suite struct AuditReplayTests {
    let directory = TemporaryDirectory()

    func replay(_ path: String, under yaml: String) throws -> (changes: [ReplayChange], tally: ReplayTally) {
        var replay = AuditReplay(engine: try engine(yaml))
        var changes: [ReplayChange] = []
        _ = try AuditReader(path: path).forEachEvent { line, number in
            if let change = replay.replay(line, line: number) { changes.append(change) }
        }
        return (changes, replay.tally)
    }

    @Test func theRecordingPolicyChangesNothing() throws {
        let path = try writeAudit(in: directory, engine: try engine())
        let (changes, tally) = try replay(path, under: recordedPolicyYAML)
        #expect(changes.isEmpty)
        #expect(tally.events == UInt64(recordedEvents().count))
        #expect(tally.changed == 0)
        #expect(tally.otherRule == 0)
    }

    @Test func theRecordedDecisionsAreTheOnesTheSurfacesCallFor() throws {
        // Guards the test above: the recording policy must really block, review and allow
        // by rule, or "no change" would prove little.
        let path = try writeAudit(in: directory, engine: try engine())
        let events = try readEvents(path).events
        #expect(events.map(\.2) == [.block, .allow, .block, .allow, .allow, .allow, .review])
        #expect(events.map(\.3) == ["secrets.dotenv", nil, "exec.pipe-to-shell", nil, "net.api", "net.loopback", nil])
    }

    @Test func anEditedPolicyReportsExactlyTheEventsItChanges() throws {
        let path = try writeAudit(in: directory, engine: try engine())
        // Loosen .env, tighten git, drop the API host rule: three changes, each on one surface.
        let edited = recordedPolicyYAML
            .replacingOccurrences(of: "match: {path: [\"**/.env\"]}\n    action: block", with: "match: {path: [\"**/.env\"]}\n    action: allow")
            .replacingOccurrences(of: "match: {host: [api.example.com]}", with: "match: {host: [other.example.com]}")
            + """
              - id: exec.no-git
                surface: exec
                match: {program: [git]}
                action: block

            """
        let (changes, tally) = try replay(path, under: edited)
        #expect(changes.map(\.sequence) == [1, 4, 5])
        #expect(changes.map(\.surface) == [.file, .exec, .network])
        #expect(changes[0].subject == .text("/work/project/.env"))
        #expect(changes[0].recorded == ReplayVerdict(action: .block, ruleID: "secrets.dotenv"))
        #expect(changes[0].replayed == ReplayVerdict(action: .allow, ruleID: "secrets.dotenv"))
        #expect(changes[1].subject == .argv(["git", "status"]))
        #expect(changes[1].replayed == ReplayVerdict(action: .block, ruleID: "exec.no-git"))
        #expect(changes[2].subject == .text("api.example.com:443"))
        #expect(changes[2].replayed == ReplayVerdict(action: .review, ruleID: nil))
        #expect(changes[2].line == 5)
        #expect(tally.changed == 3)
        #expect(tally.transitions.count == 3)
    }

    @Test func theRequestedPathIsPartOfTheReplayedEvent() throws {
        // Only the requested name (a symlink called "link") matches this block rule: replay
        // sees it only if it rebuilds the event with the requested path.
        let path = try writeAudit(in: directory, engine: try engine())
        let yaml = recordedPolicyYAML.replacingOccurrences(of: "[\"**/.env\"]", with: "[\"**/link\"]")
        let (changes, _) = try replay(path, under: yaml)
        #expect(changes.isEmpty)
    }

    @Test func anExecIsReplayedThroughTheShellScript() throws {
        // The pipe-to-shell rule matches only after `sh -c` is unwrapped: removing it turns
        // that exec into an allow.
        let path = try writeAudit(in: directory, engine: try engine())
        let yaml = recordedPolicyYAML.replacingOccurrences(of: "[\"curl * | sh*\"]", with: "[\"wget * | sh*\"]")
        let (changes, _) = try replay(path, under: yaml)
        #expect(changes.map(\.sequence) == [3])
        #expect(changes.first?.replayed == ReplayVerdict(action: .allow, ruleID: nil))
    }

    @Test func aRuleThatTakesOverWithTheSameActionIsCountedNotReported() throws {
        let path = try writeAudit(in: directory, engine: try engine())
        let yaml = recordedPolicyYAML.replacingOccurrences(of: "id: secrets.dotenv", with: "id: secrets.renamed")
        let (changes, tally) = try replay(path, under: yaml)
        #expect(changes.isEmpty)
        #expect(tally.otherRule == 1)
    }

    @Test func rememberedDecisionsTellApartEventsThatDifferInAnyField() throws {
        // Replay remembers decisions by the event's bytes: events that differ only in the
        // requested path, in how argv splits, or in the host must each be decided afresh.
        let yaml = """
            version: 1
            defaults: {file: allow, exec: allow, network: allow}
            rules:
              - {id: f, surface: file, match: {path: ["**/link"]}, action: block}
              - {id: e, surface: exec, match: {program: [nc]}, action: block}
              - {id: n, surface: network, match: {host: [bad.example]}, action: block}

            """
        let head = #"{"seq":1,"time":"t","pid":1,"op":"o","reason":"r","rule":null,"decision":"allow","#
        let pairs = [
            (#""surface":"file","access":"read","subject":"/x/y","requested":"/x/link"}"#,
             #""surface":"file","access":"read","subject":"/x/y"}"#),
            (#""surface":"exec","subject":["sh","-c","a; nc"],"program":"/bin/sh"}"#,
             #""surface":"exec","subject":["sh","-c a; nc"],"program":"/bin/sh"}"#),
            (#""surface":"network","subject":"h","host":"bad.example","address":"10.0.0.1","port":1}"#,
             #""surface":"network","subject":"h","host":null,"address":"10.0.0.1","port":1}"#),
        ]
        let engine = try engine(yaml)
        var replay = AuditReplay(engine: engine)
        for (blocked, allowed) in pairs {
            for _ in 0..<2 {
                #expect(replay.replay(try parsed(head + blocked), line: 1)?.replayed.action == .block)
                #expect(replay.replay(try parsed(head + allowed), line: 2) == nil)
            }
        }
    }
}
