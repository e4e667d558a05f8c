import AgentFirewallOS
import AgentFirewallPolicy
import AgentFirewallSupervisor
import CAgentFirewallABI
import CInterposeCore
import Foundation
import Testing

/// Records in the ring format, encoded by the C core exactly as the shim encodes them.
enum Records {
    static func file(_ path: String, action: afw_action = AFW_ACTION_ALLOW, ruleIndex: Int32 = -1,
                     decisionPath: afw_decision_path = AFW_PATH_FAST) -> [UInt8] {
        var head = afw_event_head()
        head.surface = UInt8(AFW_SURFACE_FILE.rawValue)
        head.access = UInt8(AFW_ACCESS_READ.rawValue)
        head.pid = getpid()
        head.ppid = getppid()
        head.action = UInt8(action.rawValue)
        head.path = UInt8(decisionPath.rawValue)
        head.rule_index = ruleIndex
        head.time_ns = Clock.realtimeNanoseconds()
        head.latency_ns = 700
        withUnsafeMutableBytes(of: &head.op) { $0.copyBytes(from: Array("openat".utf8)) }
        var view = afw_event_view()
        view.surface = head.surface
        view.access = head.access
        var buffer = [UInt8](repeating: 0, count: Int(AFW_EVT_SLOT_SIZE) - MemoryLayout<afw_evt_slot_header>.size)
        let size = path.withCString { pathPointer in
            view.path = pathPointer
            return afw_event_encode(&buffer, buffer.count, &head, "/usr/bin/cat", &view)
        }
        precondition(size > 0)
        return Array(buffer.prefix(size))
    }

    /// A record with a plausible size whose strings do not add up: decoding must reject it.
    static func garbage() -> [UInt8] {
        var record = file("/srv/secret/key")
        record.withUnsafeMutableBytes { bytes in
            // strings_size far beyond the record
            bytes.storeBytes(of: UInt32(1 << 20), toByteOffset: 4, as: UInt32.self)
        }
        return record
    }
}

/// The answer a client got, handed from its thread to the test.
final class AnswerBox: @unchecked Sendable {
    let segment: UnsafeMutablePointer<afw_segment_header>
    var status: Int32 = 0
    var answer = afw_event_head()

    init(segment: UnsafeMutablePointer<afw_segment_header>) { self.segment = segment }
}

@Suite struct RingServerTests {
    let directory = TemporaryDirectory()

    struct Fixture {
        let session: Session
        let server: RingServer
        let audit: AuditWriter?
        let auditPath: String
    }

    func start(approve: ApproveMode, audit withAudit: Bool = true) throws -> Fixture {
        let engine = Engine(CompiledPolicy(try ringTestPolicy()))
        let session = try Session(table: engine.compiled.table, options: withAudit ? [.audit] : [])
        session.markLive()
        let auditPath = directory.file("audit.jsonl")
        let audit = withAudit ? try AuditWriter(creatingAt: auditPath) : nil
        let reviews = try PendingReviews(approve: approve, timeoutSeconds: 60)
        let server = RingServer(session: session, engine: engine, reviews: reviews, monitor: false, audit: audit)
        try server.start()
        return Fixture(session: session, server: server, audit: audit, auditPath: auditPath)
    }

    /// Posts a request from another thread, as an agent thread would, and waits for the answer.
    func call(_ session: Session, _ record: [UInt8]) throws -> AnswerBox {
        let box = AnswerBox(segment: session.header)
        let client = try OSThread {
            box.status = record.withUnsafeBytes { afw_req_call(box.segment, $0.baseAddress, $0.count, &box.answer) }
        }
        client.join()
        return box
    }

    func finish(_ fixture: Fixture) throws -> (RingServer.Report, [[String: Any]]) {
        fixture.session.markDead()
        let report = fixture.server.finish()
        guard let audit = fixture.audit else { return (report, []) }
        let summary = AuditSummary(
            dropped: fixture.session.droppedEvents, malformed: report.malformed, allowedCounted: 0, policyName: "ring-test",
            policySource: "ring-test.yaml", context: testContext, monitor: false, exitStatus: 0)
        #expect(audit.finish(with: summary) == nil)
        fixture.session.close()
        return (report, try auditLines(fixture.auditPath))
    }

    @Test func deniesAReviewWithApproveDenyAndRecordsWhoAnswered() throws {
        let fixture = try start(approve: .deny)
        let box = try call(fixture.session, Records.file("/srv/secret/key", action: AFW_ACTION_REVIEW, ruleIndex: 0,
                                                         decisionPath: AFW_PATH_SLOW))
        #expect(box.status == AFW_OK)
        #expect(box.answer.action == UInt8(AFW_ACTION_BLOCK.rawValue))
        #expect(box.answer.rule_index == 0)
        #expect(box.answer.path == UInt8(AFW_PATH_SLOW.rawValue))

        let (report, lines) = try finish(fixture)
        #expect(report.requestsAnswered == 1)
        #expect(report.malformed == 0)
        #expect(lines.count == 2)
        #expect(lines[0]["subject"] as? String == "/srv/secret/key")
        #expect(lines[0]["decision"] as? String == "review")
        #expect(lines[0]["rule"] as? String == "files.secret")
        #expect(lines[0]["reason"] as? String == "Secrets need a human.")
        #expect(lines[0]["outcome"] as? String == "block")
        #expect(lines[0]["answered_by"] as? String == "--approve deny")
        #expect(lines[0]["path"] as? String == "slow")
        #expect(lines[0]["pid"] as? Int == Int(getpid()))
    }

    @Test func allowsAReviewWithApproveAllow() throws {
        let fixture = try start(approve: .allow)
        let box = try call(fixture.session, Records.file("/srv/secret/key", action: AFW_ACTION_REVIEW, ruleIndex: 0))
        #expect(box.answer.action == UInt8(AFW_ACTION_ALLOW.rawValue))
        let (_, lines) = try finish(fixture)
        #expect(lines[0]["outcome"] as? String == "allow")
        #expect(lines[0]["answered_by"] as? String == "--approve allow")
    }

    @Test func decidesRequestsItselfRatherThanTrustingTheClient() throws {
        // The record claims "allow"; the supervisor's engine says block.
        let fixture = try start(approve: .allow)
        let box = try call(fixture.session, Records.file("/srv/forbidden/x", action: AFW_ACTION_ALLOW))
        #expect(box.answer.action == UInt8(AFW_ACTION_BLOCK.rawValue))
        #expect(box.answer.rule_index == 1)
        let (_, lines) = try finish(fixture)
        #expect(lines[0]["decision"] as? String == "block")
        #expect(lines[0]["outcome"] == nil)
    }

    @Test func answersWithoutAnAuditToo() throws {
        let fixture = try start(approve: .deny, audit: false)
        let box = try call(fixture.session, Records.file("/srv/secret/key", action: AFW_ACTION_REVIEW, ruleIndex: 0))
        #expect(box.answer.action == UInt8(AFW_ACTION_BLOCK.rawValue))
        let (report, _) = try finish(fixture)
        #expect(report.requestsAnswered == 1)
    }

    @Test func aMalformedRequestIsDeniedAndCounted() throws {
        let fixture = try start(approve: .allow)
        let box = try call(fixture.session, Records.garbage())
        #expect(box.status == AFW_OK)
        #expect(box.answer.action == UInt8(AFW_ACTION_BLOCK.rawValue))
        let (report, lines) = try finish(fixture)
        #expect(report.malformed == 1)
        #expect(lines.count == 1)
        #expect(lines[0]["malformed"] as? Int == 1)
    }

    @Test func drainsEveryPostedEventInOrderBeforeStopping() throws {
        let fixture = try start(approve: .deny)
        let count = 600  // more than one round's worth
        for index in 0..<count {
            let record = Records.file("/tmp/event\(index)")
            #expect(record.withUnsafeBytes { afw_evt_push(fixture.session.header, $0.baseAddress, $0.count) } == AFW_OK)
        }
        let (report, lines) = try finish(fixture)
        #expect(report.eventsDrained == UInt64(count))
        #expect(lines.count == count + 1)
        #expect(lines.dropLast().map { $0["subject"] as? String } == (0..<count).map { "/tmp/event\($0)" })
        #expect(lines.dropLast().map { $0["seq"] as? Int } == Array(1...count))
        #expect(lines[0]["path"] as? String == "fast")
        #expect(lines[0]["decision"] as? String == "allow")
        #expect(lines[0]["rule"] is NSNull)
        #expect(lines[0]["latency_ns"] as? Int == 700)
        #expect(lines[0]["exe"] as? String == "/usr/bin/cat")
        #expect(lines[0]["op"] as? String == "openat")
    }

    @Test func countsGarbageEventsAndScribbledSlotsWithoutStopping() throws {
        let fixture = try start(approve: .deny)
        let header = fixture.session.header
        func push(_ record: [UInt8]) {
            _ = record.withUnsafeBytes { afw_evt_push(header, $0.baseAddress, $0.count) }
        }
        push(Records.file("/tmp/before"))
        push(Records.garbage())
        // An impossible action and decision path, as a scribbling agent might post.
        var impossible = Records.file("/tmp/impossible")
        impossible[28] = 0xEE  // head.action (offset 28)
        push(impossible)
        // A slot published by hand with a size beyond the slot.
        let tail = header.pointee.evt_tail
        let slot = UnsafeMutableRawPointer(header) + Int(header.pointee.evt_offset)
            + Int(tail % UInt64(AFW_EVT_SLOT_COUNT)) * Int(AFW_EVT_SLOT_SIZE)
        slot.storeBytes(of: UInt32.max, toByteOffset: MemoryLayout<afw_evt_slot_header>.size, as: UInt32.self)
        header.pointee.evt_tail = tail + 1
        // Published: seq = tail + 1, stored minus the slot's index (event_ring.c).
        slot.storeBytes(of: tail + 1 - tail % UInt64(AFW_EVT_SLOT_COUNT), as: UInt64.self)

        let (report, lines) = try finish(fixture)
        #expect(report.malformed == 3)
        #expect(lines.count == 2)
        #expect(lines[0]["subject"] as? String == "/tmp/before")
        #expect(lines[1]["malformed"] as? Int == 3)
    }

    @Test func reportsEventsLostToAFullRingAsDropped() throws {
        let engine = Engine(CompiledPolicy(try ringTestPolicy()))
        let session = try Session(table: engine.compiled.table, options: [.audit])
        defer { session.close() }
        // Nobody drains: the ring fills and the surplus is counted, never waited for.
        let record = Records.file("/tmp/flood")
        for _ in 0..<(Int(AFW_EVT_SLOT_COUNT) + 5) {
            _ = record.withUnsafeBytes { afw_evt_push(session.header, $0.baseAddress, $0.count) }
        }
        #expect(session.droppedEvents == 5)
    }
}
