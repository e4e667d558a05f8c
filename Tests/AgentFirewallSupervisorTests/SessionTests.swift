import AgentFirewallOS
import AgentFirewallPolicy
import AgentFirewallSupervisor
import CAgentFirewallABI
import CInterposeCore
import Foundation
import Testing

@Suite struct SessionTests {
    func table() throws -> [UInt8] {
        CompiledPolicy(try ringTestPolicy()).table
    }

    @Test func createsAPrivateSegmentThatTheShimAccepts() throws {
        let session = try Session(table: try table(), options: [.audit, .quiet])
        defer { session.close() }
        let file = "/dev/shm" + session.name
        #expect(session.name.hasPrefix("/agentfirewall.\(getpid())."))
        #expect(try FileSystem.permissions(file) == 0o600)
        let header = session.header.pointee
        #expect(header.magic == AFW_ABI_MAGIC)
        #expect(header.supervisor_pid == getpid())
        #expect(header.flags == UInt32(AFW_SEGMENT_AUDIT.rawValue | AFW_SEGMENT_QUIET.rawValue))
        #expect(header.state == UInt32(AFW_STATE_STARTING.rawValue))
        #expect(afw_segment_check(session.header, Int(header.segment_size)) == AFW_OK)
        #expect(!afw_supervisor_alive(session.header))
    }

    @Test func markLiveLetsClientsIn() throws {
        let session = try Session(table: try table(), options: [])
        defer { session.close() }
        session.markLive()
        #expect(afw_supervisor_alive(session.header))
    }

    @Test func closingUnlinksTheName() throws {
        let session = try Session(table: try table(), options: [])
        let file = "/dev/shm" + session.name
        #expect(FileSystem.exists(file))
        session.close()
        #expect(!FileSystem.exists(file))
        session.close()  // idempotent: a second close must neither crash nor unlink anything
    }

    @Test func markDeadTurnsClientsAwayAndRemovesTheName() throws {
        let session = try Session(table: try table(), options: [])
        defer { session.close() }
        session.markLive()
        session.markDead()
        #expect(session.header.pointee.state == UInt32(AFW_STATE_DEAD.rawValue))
        #expect(!afw_supervisor_alive(session.header))
        #expect(!FileSystem.exists("/dev/shm" + session.name))
    }

    @Test func namesAreUnpredictable() throws {
        let first = try Session(table: try table(), options: [])
        let second = try Session(table: try table(), options: [])
        defer {
            first.close()
            second.close()
        }
        #expect(first.name != second.name)
    }

    @Test func aTableTheShimWouldRejectIsNeverPublished() {
        #expect(throws: SupervisorError.self) { try Session(table: [UInt8](repeating: 0, count: 64), options: []) }
    }

    @Test func sharedMemoryRefusesToAdoptAnExistingName() throws {
        let name = "/agentfirewall-test.\(getpid()).\(UInt32.random(in: 0...UInt32.max))"
        let memory = try SharedMemory.createExclusive(name: name, size: 4096, mode: 0o600)
        defer { try? SharedMemory.unlink(name: name) }
        #expect(memory.size == 4096)
        #expect(throws: OSError(call: "shm_open", errno: EEXIST)) {
            try SharedMemory.createExclusive(name: name, size: 4096, mode: 0o600)
        }
    }
}
