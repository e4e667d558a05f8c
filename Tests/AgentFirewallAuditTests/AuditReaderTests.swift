import AgentFirewallAudit
import AgentFirewallPolicy
import Testing

@Suite struct AuditReaderTests {
    let directory = TemporaryDirectory()

    func event(_ seq: Int) -> String {
        #"{"seq":\#(seq),"time":"t","pid":1,"surface":"file","op":"open","access":"read","subject":"/x","decision":"allow","rule":null,"reason":"r"}"#
    }

    func summary(events: Int) -> String {
        #"{"summary":true,"events":\#(events),"dropped":0,"cwd":"/w","home":"/h"}"#
    }

    func error(reading text: String) -> AuditError? {
        do {
            _ = try readEvents(directory.write("audit.jsonl", text))
            return nil
        } catch let error as AuditError {
            return error
        } catch {
            return nil
        }
    }

    @Test func readsTheSummaryFirstAndTheEventsInOrder() throws {
        let path = try writeAudit(in: directory, engine: try engine())
        let reader = try AuditReader(path: path)
        #expect(try reader.runSummary()?.context == testContext)
        let (events, ending) = try readEvents(path)
        #expect(events.count == recordedEvents().count)
        #expect(ending.events == UInt64(events.count))
        #expect(ending.summary?.policyName == "recorded")
        #expect(ending.warnings.isEmpty)
    }

    @Test func aBadLineIsAnErrorWithItsLineNumber() {
        let found = error(reading: event(1) + "\n" + #"{"seq":2,"# + "\n" + event(3) + "\n")
        #expect(found?.line == 2)
        #expect(found?.code == .syntax)
        #expect(found?.description.hasPrefix(directory.file("audit.jsonl") + ":2: error: ") == true)
    }

    @Test func aCutShortLastLineIsAWarning() throws {
        let path = directory.write("audit.jsonl", event(1) + "\n" + event(2) + "\n" + #"{"seq":3,"time":"#)
        let (events, ending) = try readEvents(path)
        #expect(events.count == 2)
        #expect(ending.summary == nil)
        #expect(ending.warnings.count == 2)
        #expect(ending.warnings[0].hasPrefix(path + ":3: warning: the last line is cut short"))
        #expect(ending.warnings[1] == path + ": warning: no summary line: the run did not finish (crashed or killed), so the audit may end early")
    }

    @Test func aGapInSeqIsAnError() {
        let found = error(reading: [event(1), event(2), event(4)].joined(separator: "\n") + "\n")
        #expect(found?.line == 3)
        #expect(found?.code == .inconsistent)
        #expect(found?.message.hasPrefix("seq 4 follows seq 2") == true)
    }

    @Test func aSummaryMustBeLastAndCountTheEvents() {
        #expect(error(reading: [event(1), summary(events: 1), event(2)].joined(separator: "\n") + "\n")?.line == 3)
        let miscounted = error(reading: [event(1), event(2), summary(events: 5)].joined(separator: "\n") + "\n")
        #expect(miscounted?.line == 3)
        #expect(miscounted?.message.contains("counts 5 events") == true)
    }

    @Test func warnsAboutEventsThatAreNotInTheFile() throws {
        let path = directory.write("audit.jsonl", event(1) + "\n"
            + #"{"summary":true,"events":1,"dropped":4,"allowed_counted":9,"cwd":"/w","home":"/h"}"# + "\n")
        let warnings = try readEvents(path).ending.warnings
        #expect(warnings.count == 2)
        #expect(warnings.contains { $0.contains("9 fast-path allows were counted") })
        #expect(warnings.contains { $0.contains("dropped 4 events") })
    }

    @Test func noSummaryAtTheEndMeansNone() throws {
        let reader = try AuditReader(path: directory.write("audit.jsonl", event(1) + "\n"))
        #expect(try reader.runSummary() == nil)
    }

    /// Replay reads only what decides: the text fields are checked to be strings, not decoded,
    /// and what decides reads the same.
    @Test func decisionsOnlyChecksTextFieldsWithoutDecodingThem() throws {
        let path = try directory.write("audit.jsonl", event(1) + "\n" + summary(events: 1) + "\n")
        let reader = try AuditReader(path: path, decisionsOnly: true)
        var seen: [(String, String, String)] = []
        _ = try reader.forEachEvent { line, _ in seen.append((line.subjectSummary, line.reason, line.time)) }
        #expect(seen.count == 1)
        #expect(seen.first?.0 == "/x")
        #expect(seen.first?.1 == "")
        #expect(seen.first?.2 == "")

        let numericTime = try directory.write("bad.jsonl", event(1).replacingOccurrences(of: #""time":"t""#, with: #""time":5"#) + "\n")
        #expect(throws: AuditError.self) {
            _ = try AuditReader(path: numericTime, decisionsOnly: true).forEachEvent { _, _ in }
        }
    }
}
