import AgentFirewallPolicy
import Testing

@Suite struct StringNulTerminatedTests {
    @Test func readsUpToTheFirstNul() {
        let buffer: [CChar] = [47, 116, 109, 112, 0, 120, 0]  // "/tmp\0x\0"
        #expect(String(nulTerminated: buffer) == "/tmp")
        #expect(String(nulTerminated: [CChar](repeating: 0, count: 4)) == "")
    }

    /// A buffer without a NUL is read whole; bytes that are not UTF-8 are repaired, not dropped.
    @Test func readsAWholeBufferAndRepairsBadBytes() {
        #expect(String(nulTerminated: [97, 98]) == "ab")
        #expect(String(nulTerminated: [97, CChar(bitPattern: 0xFF), 98]) == "a\u{FFFD}b")
    }
}
