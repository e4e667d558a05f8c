import CAgentFirewallABI
import CInterposeCore
import Foundation
import Glibc
import Testing

@Suite struct SegmentTests {
    @Test func sizeIsPageAlignedAndGrowsWithTheTable() {
        let small = afw_segment_size(64)
        let large = afw_segment_size(1 << 20)
        #expect(small % 65536 == 0)
        #expect(large % 65536 == 0)
        #expect(large >= small + (1 << 20) - 65536)
        // A table size near SIZE_MAX would wrap the sum; no size is better than a small one.
        #expect(afw_segment_size(Int(bitPattern: UInt.max - 10)) == 0)
    }

    @Test func initLaysOutRingsThenTableAndCheckAcceptsIt() throws {
        let segment = try SegmentFixture(state: AFW_STATE_STARTING)
        let header = segment.header.pointee
        #expect(header.magic == AFW_ABI_MAGIC)
        #expect(header.state == AFW_STATE_STARTING.rawValue)
        #expect(header.req_slot_count == AFW_REQ_SLOT_COUNT)
        #expect(header.evt_slot_count == AFW_EVT_SLOT_COUNT)
        #expect(header.req_offset >= UInt64(header.header_size))
        #expect(header.evt_offset >= header.req_offset + UInt64(AFW_REQ_SLOT_COUNT * AFW_REQ_SLOT_SIZE))
        #expect(header.table_offset >= header.evt_offset + UInt64(AFW_EVT_SLOT_COUNT * AFW_EVT_SLOT_SIZE))
        #expect(header.table_offset % 65536 == 0)
        #expect(header.table_offset + header.table_size <= header.segment_size)
        #expect(afw_segment_check(segment.header, segment.size) == Int32(AFW_OK))
        // The table is copied in byte for byte.
        let table = TableFixture().bytes()
        let copied = UnsafeRawBufferPointer(start: segment.base + Int(header.table_offset), count: table.count)
        #expect(Array(copied) == table)
    }

    @Test func initRefusesASmallMappingAndAnInvalidTable() throws {
        let segment = try SegmentFixture()
        let table = TableFixture().bytes()
        let tooSmall = table.withUnsafeBytes {
            afw_segment_init(segment.base, segment.size - 1, $0.baseAddress, table.count, getpid(), 0)
        }
        #expect(tooSmall == Int32(AFW_E_INVALID))
        var broken = table
        broken[0] ^= 0xFF
        let invalid = broken.withUnsafeBytes {
            afw_segment_init(segment.base, segment.size, $0.baseAddress, broken.count, getpid(), 0)
        }
        #expect(invalid == Int32(AFW_E_INVALID))
    }

    /// Every field a hostile or stale segment could get wrong, one at a time.
    @Test(arguments: [
        "magic", "abi_version", "header_size", "segment_size", "state", "table_offset", "table_size_small",
        "table_size_beyond", "table_size_wraps", "req_offset", "req_slot_count", "req_slot_size", "evt_offset",
        "evt_slot_count", "evt_slot_size", "table_bytes",
    ])
    func checkRejectsABadHeader(field: String) throws {
        let segment = try SegmentFixture()
        let header = segment.header
        switch field {
        case "magic": header.pointee.magic ^= 1
        case "abi_version": header.pointee.abi_version += 1
        case "header_size": header.pointee.header_size -= 8
        case "segment_size": header.pointee.segment_size = UInt64(segment.size) + 4096
        case "state": header.pointee.state = 7
        case "table_offset": header.pointee.table_offset -= 4096
        case "table_size_small": header.pointee.table_size = 8
        case "table_size_beyond": header.pointee.table_size = header.pointee.segment_size
        case "table_size_wraps": header.pointee.table_size = UInt64.max - 100
        case "req_offset": header.pointee.req_offset += 64
        case "req_slot_count": header.pointee.req_slot_count *= 2
        case "req_slot_size": header.pointee.req_slot_size /= 2
        case "evt_offset": header.pointee.evt_offset = 0
        case "evt_slot_count": header.pointee.evt_slot_count += 1
        case "evt_slot_size": header.pointee.evt_slot_size = 64
        default:
            // The table's own magic: afw_table_validate must be consulted.
            (segment.base + Int(header.pointee.table_offset)).storeBytes(of: UInt32(0), as: UInt32.self)
        }
        #expect(afw_segment_check(segment.header, segment.size) == Int32(AFW_E_INVALID))
    }

    @Test func checkRejectsAMappingSmallerThanTheSegment() throws {
        let segment = try SegmentFixture()
        #expect(afw_segment_check(segment.header, segment.size - 65536) == Int32(AFW_E_INVALID))
        #expect(afw_segment_check(segment.header, 16) == Int32(AFW_E_INVALID))
        #expect(afw_segment_check(nil, segment.size) == Int32(AFW_E_INVALID))
    }

    @Test func checkSurvivesRandomHeaders() throws {
        let segment = try SegmentFixture()
        var random = SplitMix64(seed: 0xAF3)
        for _ in 0..<2000 {
            let bytes = UnsafeMutableRawBufferPointer(start: segment.base, count: MemoryLayout<afw_segment_header>.size)
            for index in bytes.indices { bytes[index] = UInt8.random(in: 0...255, using: &random) }
            #expect(afw_segment_check(segment.header, segment.size) == Int32(AFW_E_INVALID))
        }
    }

    @Test func supervisorIsAliveOnlyWhileLiveAndItsProcessExists() throws {
        let live = try SegmentFixture(state: AFW_STATE_LIVE)
        #expect(afw_supervisor_alive(live.header))
        afw_segment_set_state(live.header, AFW_STATE_DEAD.rawValue)
        #expect(!afw_supervisor_alive(live.header))
        let starting = try SegmentFixture(state: AFW_STATE_STARTING)
        #expect(!afw_supervisor_alive(starting.header))
        let orphaned = try SegmentFixture(state: AFW_STATE_LIVE, pid: try reapedProcessID())
        #expect(!afw_supervisor_alive(orphaned.header))
        // kill(0, 0) would succeed (our own process group): pid 0 is never a supervisor.
        let unset = try SegmentFixture(state: AFW_STATE_LIVE, pid: 0)
        #expect(!afw_supervisor_alive(unset.header))
    }

    @Test func supervisorWaitTimesOutWhenNothingHappens() throws {
        let segment = try SegmentFixture()
        let started = Date()
        afw_supervisor_wait(segment.header, 50)
        #expect(Date().timeIntervalSince(started) >= 0.04)
        #expect(segment.header.pointee.supervisor_waiting == 0)
    }

    @Test func supervisorWaitReturnsAtOnceWhenARecordIsPending() throws {
        let segment = try SegmentFixture()
        let record = SegmentFixture.record(producer: 1, sequence: 1)
        _ = record.withUnsafeBytes { afw_evt_push(segment.header, $0.baseAddress, $0.count) }
        let started = Date()
        afw_supervisor_wait(segment.header, 10_000)
        #expect(Date().timeIntervalSince(started) < 5)
    }

    @Test func supervisorWakeEndsAWait() throws {
        let segment = try SegmentFixture()
        let waiting = startThread { afw_supervisor_wait(segment.header, 30_000) }
        // Once the waiter has announced itself, one wake must end its wait, whether it
        // already sleeps or is about to.
        while segment.header.pointee.supervisor_waiting == 0 { sched_yield() }
        afw_supervisor_wake(segment.header)
        #expect(waiting.wait(timeout: .now() + 10) == .success)
    }
}
