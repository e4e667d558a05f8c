import CAgentFirewallABI
import CInterposeCore
import Foundation
import Glibc
import Testing

/// The outcome of one afw_req_call, handed from a client thread to the test.
final class CallOutcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (status: Int32, answer: afw_event_head)?

    func set(_ status: Int32, _ answer: afw_event_head) { lock.withLock { stored = (status, answer) } }
    var value: (status: Int32, answer: afw_event_head)? { lock.withLock { stored } }
}

@Suite struct RequestRingTests {
    let capacity = SegmentFixture.requestRecordMax

    /// Starts a client thread that posts `record` and waits for its answer.
    func call(_ segment: SegmentFixture, _ record: [UInt8]) -> (DispatchSemaphore, CallOutcome) {
        let outcome = CallOutcome()
        let finished = startThread {
            var answer = afw_event_head()
            let status = record.withUnsafeBytes { afw_req_call(segment.header, $0.baseAddress, $0.count, &answer) }
            outcome.set(status, answer)
        }
        return (finished, outcome)
    }

    /// Takes the next ready request, waiting for one to arrive (the doorbell) if needed.
    func take(_ segment: SegmentFixture, timeout: TimeInterval = 10) -> (slot: UInt32, record: [UInt8])? {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: capacity)
        while Date() < deadline {
            var slot: UInt32 = 0
            let size = buffer.withUnsafeMutableBytes { afw_req_take(segment.header, &slot, $0.baseAddress, $0.count) }
            if size > 0 { return (slot, Array(buffer[0..<size])) }
            afw_supervisor_wait(segment.header, 100)
        }
        return nil
    }

    @Test func aConsumerThreadAnswersARequest() throws {
        let segment = try SegmentFixture()
        let record = SegmentFixture.record(producer: getpid(), sequence: 11, extra: 24)
        let (finished, outcome) = call(segment, record)
        let taken = try #require(take(segment))
        #expect(taken.record == record)
        #expect(outcome.value == nil, "the client must wait for the answer")
        afw_req_answer(segment.header, taken.slot, UInt8(AFW_ACTION_ALLOW.rawValue), 5, UInt8(AFW_PATH_SLOW.rawValue))
        #expect(finished.wait(timeout: .now() + 10) == .success)
        let result = try #require(outcome.value)
        #expect(result.status == Int32(AFW_OK))
        #expect(result.answer.action == UInt8(AFW_ACTION_ALLOW.rawValue))
        #expect(result.answer.rule_index == 5)
        #expect(result.answer.path == UInt8(AFW_PATH_SLOW.rawValue))
        #expect(result.answer.tid == 11)
        // The slot is free again.
        #expect(segment.requestSlot(Int(taken.slot)).pointee.state == AFW_SLOT_FREE.rawValue)
    }

    @Test(arguments: [AFW_STATE_DEAD, AFW_STATE_STARTING])
    func aSupervisorThatIsNotLiveIsGone(state: afw_segment_state) throws {
        let segment = try SegmentFixture(state: state)
        var answer = afw_event_head()
        let record = SegmentFixture.record(producer: 1, sequence: 1)
        let status = record.withUnsafeBytes { afw_req_call(segment.header, $0.baseAddress, $0.count, &answer) }
        #expect(status == Int32(AFW_E_GONE))
    }

    @Test func aSupervisorWhoseProcessIsGoneIsGone() throws {
        let segment = try SegmentFixture(state: AFW_STATE_LIVE, pid: try reapedProcessID())
        var answer = afw_event_head()
        let record = SegmentFixture.record(producer: 1, sequence: 1)
        let status = record.withUnsafeBytes { afw_req_call(segment.header, $0.baseAddress, $0.count, &answer) }
        #expect(status == Int32(AFW_E_GONE))
    }

    @Test func aClientWaitingWhenTheSupervisorDiesIsDenied() throws {
        let segment = try SegmentFixture()
        let (finished, outcome) = call(segment, SegmentFixture.record(producer: 1, sequence: 1))
        let taken = try #require(take(segment))
        afw_segment_set_state(segment.header, AFW_STATE_DEAD.rawValue)
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(outcome.value?.status == Int32(AFW_E_GONE))
        // An answer that comes too late does not resurrect the freed slot.
        afw_req_answer(segment.header, taken.slot, UInt8(AFW_ACTION_ALLOW.rawValue), 0, UInt8(AFW_PATH_SLOW.rawValue))
        #expect(segment.requestSlot(Int(taken.slot)).pointee.state == AFW_SLOT_FREE.rawValue)
    }

    @Test func moreClientsThanSlotsWaitTheirTurnAndGetTheirOwnAnswers() throws {
        let segment = try SegmentFixture()
        let clients = Int(AFW_REQ_SLOT_COUNT) + 36
        let calls = (0..<clients).map { call(segment, SegmentFixture.record(producer: 1, sequence: Int32($0))) }
        // Every client's answer echoes its own sequence number as the rule index.
        for _ in 0..<clients {
            let taken = try #require(take(segment))
            let head = taken.record.withUnsafeBytes { SegmentFixture.head(of: $0) }
            afw_req_answer(segment.header, taken.slot, UInt8(AFW_ACTION_BLOCK.rawValue), head.tid,
                           UInt8(AFW_PATH_SLOW.rawValue))
        }
        for (index, (finished, outcome)) in calls.enumerated() {
            #expect(finished.wait(timeout: .now() + 10) == .success)
            #expect(outcome.value?.status == Int32(AFW_OK))
            #expect(outcome.value?.answer.rule_index == Int32(index))
        }
        #expect(take(segment, timeout: 0) == nil)
    }

    @Test func theOldestRequestIsTakenFirst() throws {
        let segment = try SegmentFixture()
        // Two hand-posted requests, the younger in the lower slot.
        for (slotIndex, ticket) in [(3, UInt64(20)), (9, UInt64(10))] {
            let slot = segment.requestSlot(slotIndex)
            let record = SegmentFixture.record(producer: getpid(), sequence: Int32(ticket))
            record.withUnsafeBytes {
                UnsafeMutableRawPointer(slot + 1).copyMemory(from: $0.baseAddress!, byteCount: $0.count)
            }
            slot.pointee.ticket = ticket
            slot.pointee.owner_pid = getpid()
            slot.pointee.state = AFW_SLOT_READY.rawValue
        }
        #expect(take(segment)?.slot == 9)
        #expect(take(segment)?.slot == 3)
    }

    @Test func aRequestClaimingMoreThanItsSlotIsDeniedNotCopied() throws {
        let segment = try SegmentFixture()
        let (finished, outcome) = call(segment, SegmentFixture.record(producer: 1, sequence: 1))
        // Wait until the request is posted, then let the agent scribble its size.
        var slot: UnsafeMutablePointer<afw_req_slot_header>?
        while slot == nil {
            slot = (0..<Int(AFW_REQ_SLOT_COUNT)).map(segment.requestSlot).first {
                $0.pointee.state == AFW_SLOT_READY.rawValue
            }
            sched_yield()
        }
        UnsafeMutableRawPointer(slot! + 1).storeBytes(of: UInt32.max, as: UInt32.self)
        var index: UInt32 = 0
        var buffer = [UInt8](repeating: 0, count: capacity)
        let size = buffer.withUnsafeMutableBytes { afw_req_take(segment.header, &index, $0.baseAddress, $0.count) }
        #expect(size == Int(AFW_E_INVALID))
        // The client is not left hanging: it gets a denial.
        #expect(finished.wait(timeout: .now() + 10) == .success)
        #expect(outcome.value?.status == Int32(AFW_OK))
        #expect(outcome.value?.answer.action == UInt8(AFW_ACTION_BLOCK.rawValue))
    }

    @Test func garbageSlotsNeverCrashTheSupervisor() throws {
        let segment = try SegmentFixture()
        var random = SplitMix64(seed: 7)
        let ring = UnsafeMutableRawBufferPointer(
            start: UnsafeMutableRawPointer(segment.requestSlot(0)), count: Int(AFW_REQ_SLOT_COUNT * AFW_REQ_SLOT_SIZE))
        for round in 0..<20 {
            for index in ring.indices { ring[index] = UInt8.random(in: 0...255, using: &random) }
            // Some slots look ready, with random sizes and owners.
            for slotIndex in 0..<Int(AFW_REQ_SLOT_COUNT) where (slotIndex + round) % 3 == 0 {
                segment.requestSlot(slotIndex).pointee.state = AFW_SLOT_READY.rawValue
            }
            _ = afw_req_reclaim(segment.header)
            var buffer = [UInt8](repeating: 0, count: capacity)
            var slot: UInt32 = 0
            for _ in 0..<Int(AFW_REQ_SLOT_COUNT) {
                let size = buffer.withUnsafeMutableBytes { afw_req_take(segment.header, &slot, $0.baseAddress, $0.count) }
                if size == 0 { break }
                #expect(size <= capacity)
                #expect(slot < AFW_REQ_SLOT_COUNT)
                afw_req_answer(segment.header, slot, UInt8(AFW_ACTION_BLOCK.rawValue), -1, UInt8(AFW_PATH_SLOW.rawValue))
            }
            afw_req_answer(segment.header, UInt32.max, 0, 0, 0)
        }
    }

    @Test func slotsOfADeadClientAreReclaimed() throws {
        let segment = try SegmentFixture()
        let dead = try reapedProcessID()
        let abandoned = segment.requestSlot(4)
        abandoned.pointee.owner_pid = dead
        abandoned.pointee.state = AFW_SLOT_READY.rawValue
        let answered = segment.requestSlot(5)
        answered.pointee.owner_pid = dead
        answered.pointee.state = AFW_SLOT_ANSWERED.rawValue
        let alive = segment.requestSlot(6)
        alive.pointee.owner_pid = getpid()
        alive.pointee.state = AFW_SLOT_READY.rawValue
        // Being claimed right now: the owner is not written yet.
        let claiming = segment.requestSlot(7)
        claiming.pointee.owner_pid = 0
        claiming.pointee.state = AFW_SLOT_CLAIMED.rawValue
        #expect(afw_req_reclaim(segment.header) == 2)
        #expect(abandoned.pointee.state == AFW_SLOT_FREE.rawValue)
        #expect(abandoned.pointee.owner_pid == 0)
        #expect(answered.pointee.state == AFW_SLOT_FREE.rawValue)
        #expect(alive.pointee.state == AFW_SLOT_READY.rawValue)
        #expect(claiming.pointee.state == AFW_SLOT_CLAIMED.rawValue)
    }
}
