import AgentFirewallOS
import CAgentFirewallABI
import CInterposeCore
import Glibc

/// The shared segment of one run: created before the agent starts, marked dead and
/// unlinked when the run ends, whatever way it ends.
public final class Session {
    public struct Options: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// --mode monitor: the shim decides and records but enforces nothing.
        public static let monitor = Options(rawValue: UInt32(AFW_SEGMENT_MONITOR.rawValue))
        /// --quiet: the shim prints no "agentfirewall: blocked ..." lines.
        public static let quiet = Options(rawValue: UInt32(AFW_SEGMENT_QUIET.rawValue))
        /// --audit: the shim posts decided events to the event ring.
        public static let audit = Options(rawValue: UInt32(AFW_SEGMENT_AUDIT.rawValue))
    }

    /// The shm_open name the agent finds in AGENTFIREWALL_SHM.
    public let name: String
    private var memory: SharedMemory?
    private var isDead = false
    public let header: UnsafeMutablePointer<afw_segment_header>

    /// Creates the segment with the compiled table in it, in state STARTING.
    public init(table: [UInt8], options: Options) throws(SupervisorError) {
        let size = afw_segment_size(table.count)
        guard size > 0 else {
            throw SupervisorError(.internalFailure, "the compiled policy (\(table.count) bytes) is too large for a segment")
        }
        // The random part keeps a local user from predicting the name and creating it first
        // (O_EXCL would then fail rather than adopt their object, but the run would not start).
        let name = "/agentfirewall.\(CurrentProcess.pid).\(String(UInt64.random(in: 0...UInt64.max), radix: 16))"
        let memory: SharedMemory
        do {
            // 0600: only our user can map it; the agent runs as our user and must.
            memory = try SharedMemory.createExclusive(name: name, size: size, mode: 0o600)
        } catch {
            throw SupervisorError(.system, "cannot create the shared segment \(name): \(error); check that /dev/shm is mounted and writable", cause: error)
        }
        let status = table.withUnsafeBytes {
            afw_segment_init(memory.base, size, $0.baseAddress, $0.count, CurrentProcess.pid, options.rawValue)
        }
        guard status == AFW_OK else {
            try? SharedMemory.unlink(name: name)
            throw SupervisorError(.internalFailure, "the compiled policy table failed the shim's validation (afw_segment_init: \(status))")
        }
        self.name = name
        self.header = memory.base.assumingMemoryBound(to: afw_segment_header.self)
        self.memory = memory
    }

    /// Lets clients in: shims call the supervisor only while the state is LIVE.
    public func markLive() {
        afw_segment_set_state(header, UInt32(AFW_STATE_LIVE.rawValue))
    }

    /// Marks the segment DEAD (clients still waiting for an answer deny at once, and later
    /// calls that need the supervisor are denied) and removes its name, so a process started
    /// after the run cannot find it. Mappings stay valid until `close`.
    public func markDead() {
        guard memory != nil, !isDead else { return }
        isDead = true
        afw_segment_set_state(header, UInt32(AFW_STATE_DEAD.rawValue))
        try? SharedMemory.unlink(name: name)
    }

    /// Events lost to a full event ring so far (read before `close`).
    public var droppedEvents: UInt64 { header.pointer(to: \.evt_dropped)!.pointee }
    /// Fast-path allows counted instead of listed so far (read before `close`).
    public var allowedCounted: UInt64 { header.pointer(to: \.allowed_counted)!.pointee }

    /// Marks the segment dead, unlinks and unmaps it. Safe to call more than once.
    public func close() {
        markDead()
        memory = nil
    }

    deinit {
        close()
    }
}
