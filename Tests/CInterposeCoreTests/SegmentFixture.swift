import CAgentFirewallABI
import CInterposeCore
import Foundation
import Glibc

/// A real shared segment (MAP_SHARED, so a forked child sees the same pages) laid out by
/// afw_segment_init around a small valid table, for the segment and ring tests.
final class SegmentFixture: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let size: Int
    let tableSize: Int

    init(state: afw_segment_state = AFW_STATE_LIVE, flags: UInt32 = 0, pid: Int32 = getpid()) throws {
        let table = TableFixture().bytes()
        tableSize = table.count
        size = afw_segment_size(table.count)
        guard let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0),
              mapped != MAP_FAILED
        else { throw POSIXError(.ENOMEM) }
        base = mapped
        let status = table.withUnsafeBytes {
            afw_segment_init(base, size, $0.baseAddress, table.count, pid, flags)
        }
        guard status == Int32(AFW_OK) else { throw POSIXError(.EINVAL) }
        afw_segment_set_state(header, state.rawValue)
    }

    deinit { munmap(base, size) }

    /// AFW_EVT_EVENT_MAX and AFW_REQ_EVENT_MAX, which Swift cannot import (they use sizeof).
    static let eventRecordMax = Int(AFW_EVT_SLOT_SIZE) - MemoryLayout<afw_evt_slot_header>.size
    static let requestRecordMax = Int(AFW_REQ_SLOT_SIZE) - MemoryLayout<afw_req_slot_header>.size

    var header: UnsafeMutablePointer<afw_segment_header> {
        base.assumingMemoryBound(to: afw_segment_header.self)
    }

    /// The slot header of request slot `index`, where the layout puts it.
    func requestSlot(_ index: Int) -> UnsafeMutablePointer<afw_req_slot_header> {
        (base + Int(header.pointee.req_offset) + index * Int(AFW_REQ_SLOT_SIZE))
            .assumingMemoryBound(to: afw_req_slot_header.self)
    }

    func eventSlot(_ index: Int) -> UnsafeMutableRawPointer {
        base + Int(header.pointee.evt_offset) + index * Int(AFW_EVT_SLOT_SIZE)
    }

    /// A ring record: a head whose pid and tid carry a producer and a sequence number, so a
    /// test can tell records apart, followed by `extra` bytes of strings.
    static func record(producer: Int32, sequence: Int32, extra: Int = 8) -> [UInt8] {
        var head = afw_event_head()
        head.total_size = UInt32(MemoryLayout<afw_event_head>.size + extra)
        head.pid = producer
        head.tid = sequence
        var bytes = [UInt8](repeating: 0, count: MemoryLayout<afw_event_head>.size + extra)
        withUnsafeBytes(of: head) { bytes.replaceSubrange(0..<$0.count, with: $0) }
        return bytes
    }

    static func head(of record: UnsafeRawBufferPointer) -> afw_event_head {
        record.loadUnaligned(as: afw_event_head.self)
    }
}

/// Runs `body` on its own OS thread (the ring calls block in futex waits, so they must not
/// share a small cooperative pool) and signals `finished` when it returns.
func startThread(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
    let finished = DispatchSemaphore(value: 0)
    let thread = Thread {
        body()
        finished.signal()
    }
    thread.start()
    return finished
}

/// A pid that existed and is gone now: a reaped child.
func reapedProcessID() throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/true")
    try process.run()
    process.waitUntilExit()
    return process.processIdentifier
}
