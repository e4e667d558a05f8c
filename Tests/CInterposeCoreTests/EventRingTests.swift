import CAgentFirewallABI
import CInterposeCore
import Foundation
import Glibc
import Testing

@Suite struct EventRingTests {
    let capacity = SegmentFixture.eventRecordMax

    func push(_ segment: SegmentFixture, _ record: [UInt8]) -> Int32 {
        record.withUnsafeBytes { afw_evt_push(segment.header, $0.baseAddress, $0.count) }
    }

    /// Pops one record; nil when the ring is empty, the raw status when it is negative.
    func pop(_ segment: SegmentFixture) -> Result<[UInt8], PopError>? {
        var buffer = [UInt8](repeating: 0, count: capacity)
        let size = buffer.withUnsafeMutableBytes { afw_evt_pop(segment.header, $0.baseAddress, $0.count) }
        if size == 0 { return nil }
        if size < 0 { return .failure(PopError(status: size)) }
        return .success(Array(buffer[0..<size]))
    }

    struct PopError: Error, Equatable { let status: Int }

    @Test func aRecordComesOutAsItWentIn() throws {
        let segment = try SegmentFixture()
        #expect(pop(segment) == nil)
        let record = SegmentFixture.record(producer: 7, sequence: 3, extra: 40)
        #expect(push(segment, record) == Int32(AFW_OK))
        #expect(pop(segment) == .success(record))
        #expect(pop(segment) == nil)
    }

    @Test func aFullRingDropsAndCountsWithoutBlocking() throws {
        let segment = try SegmentFixture()
        for sequence in 0..<Int32(AFW_EVT_SLOT_COUNT) {
            #expect(push(segment, SegmentFixture.record(producer: 1, sequence: sequence)) == Int32(AFW_OK))
        }
        #expect(push(segment, SegmentFixture.record(producer: 1, sequence: -1)) == Int32(AFW_E_FULL))
        #expect(push(segment, SegmentFixture.record(producer: 1, sequence: -2)) == Int32(AFW_E_FULL))
        #expect(segment.header.pointee.evt_dropped == 2)
        // Room again after one pop, and the oldest record comes out first.
        let first = try #require(try pop(segment)?.get())
        #expect(first.withUnsafeBytes { SegmentFixture.head(of: $0).tid } == 0)
        #expect(push(segment, SegmentFixture.record(producer: 1, sequence: 9999)) == Int32(AFW_OK))
    }

    @Test func recordsThatDoNotFitASlotAreRefused() throws {
        let segment = try SegmentFixture()
        let huge = SegmentFixture.record(producer: 1, sequence: 1, extra: SegmentFixture.eventRecordMax)
        #expect(push(segment, huge) == Int32(AFW_E_INVALID))
        let tiny = [UInt8](repeating: 0, count: 8)
        #expect(push(segment, tiny) == Int32(AFW_E_INVALID))
        #expect(pop(segment) == nil)
    }

    @Test func manyProducersLoseNothingAndKeepTheirOrder() throws {
        let segment = try SegmentFixture()
        let producers = 8
        let perProducer = 3000
        var finished: [DispatchSemaphore] = []
        for producer in 0..<producers {
            finished.append(startThread {
                for sequence in 0..<perProducer {
                    let record = SegmentFixture.record(producer: Int32(producer), sequence: Int32(sequence))
                    _ = record.withUnsafeBytes { afw_evt_push(segment.header, $0.baseAddress, $0.count) }
                }
            })
        }
        var next = [Int32](repeating: 0, count: producers)
        var received = 0
        var producersDone = 0
        while true {
            if let popped = pop(segment) {
                let record = try popped.get()
                let head = record.withUnsafeBytes { SegmentFixture.head(of: $0) }
                // A dropped record leaves a gap, never a reordering or a duplicate.
                #expect(head.tid >= next[Int(head.pid)])
                next[Int(head.pid)] = head.tid + 1
                received += 1
                continue
            }
            if producersDone == producers { break }
            if finished[producersDone].wait(timeout: .now()) == .success { producersDone += 1 }
        }
        let dropped = Int(segment.header.pointee.evt_dropped)
        #expect(received + dropped == producers * perProducer)
        #expect(received > 0)
    }

    @Test func producersInAnotherProcessReachTheConsumer() throws {
        let segment = try SegmentFixture()
        let count = 500
        // Built before fork: the child only calls the C ring code and _exit, nothing that
        // could take a lock another thread of this process held at the fork.
        let records = (0..<count).map { SegmentFixture.record(producer: 2, sequence: Int32($0)) }
        let flat = records.flatMap { $0 }
        let recordSize = records[0].count
        let child = flat.withUnsafeBytes { bytes -> pid_t in
            let pid = fork()
            if pid == 0 {
                for index in 0..<count {
                    while afw_evt_push(segment.header, bytes.baseAddress! + index * recordSize, recordSize) != 0 {
                        sched_yield()
                    }
                }
                _exit(0)
            }
            return pid
        }
        #expect(child > 0)
        var received: [Int32] = []
        while received.count < count {
            if let popped = pop(segment) {
                let record = try popped.get()
                received.append(record.withUnsafeBytes { SegmentFixture.head(of: $0).tid })
            } else {
                afw_supervisor_wait(segment.header, 100)
            }
        }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        #expect(status == 0)
        #expect(received == Array(0..<Int32(count)))
    }

    @Test func aPushWakesASleepingConsumer() throws {
        let segment = try SegmentFixture()
        let sleeping = startThread { afw_supervisor_wait(segment.header, 30_000) }
        while segment.header.pointee.supervisor_waiting == 0 { sched_yield() }
        #expect(push(segment, SegmentFixture.record(producer: 1, sequence: 1)) == Int32(AFW_OK))
        #expect(sleeping.wait(timeout: .now() + 10) == .success)
    }

    @Test func aScribbledSizeIsSkippedNotTrusted() throws {
        let segment = try SegmentFixture()
        #expect(push(segment, SegmentFixture.record(producer: 1, sequence: 1)) == Int32(AFW_OK))
        #expect(push(segment, SegmentFixture.record(producer: 1, sequence: 2)) == Int32(AFW_OK))
        // The agent rewrites the first record's size to point past its slot.
        let data = segment.eventSlot(0) + MemoryLayout<afw_evt_slot_header>.size
        data.storeBytes(of: UInt32.max, as: UInt32.self)
        #expect(pop(segment) == .failure(PopError(status: Int(AFW_E_INVALID))))
        let second = try #require(try pop(segment)?.get())
        #expect(second.withUnsafeBytes { SegmentFixture.head(of: $0).tid } == 2)
    }

    @Test func garbageInEverySlotNeverCrashesTheConsumer() throws {
        let segment = try SegmentFixture()
        var random = SplitMix64(seed: 42)
        let ring = UnsafeMutableRawBufferPointer(
            start: segment.eventSlot(0), count: Int(AFW_EVT_SLOT_COUNT * AFW_EVT_SLOT_SIZE))
        for index in ring.indices { ring[index] = UInt8.random(in: 0...255, using: &random) }
        segment.header.pointee.evt_head = random.next()
        segment.header.pointee.evt_tail = random.next()
        for _ in 0..<Int(AFW_EVT_SLOT_COUNT) * 2 {
            if let popped = pop(segment), case .success(let record) = popped {
                #expect(record.count <= capacity)
            }
            _ = push(segment, SegmentFixture.record(producer: 1, sequence: 1))
        }
    }
}
