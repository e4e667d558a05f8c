import AgentFirewallPolicy
import CAgentFirewallABI
import Testing

@Suite struct VocabularyTests {
    @Test func surfacesAndActionsCrossTheABIUnchanged() {
        #expect(Surface.allCases.map(\.abiValue) == [AFW_SURFACE_FILE, AFW_SURFACE_EXEC, AFW_SURFACE_NETWORK].map { UInt8($0.rawValue) })
        #expect(Action.allCases.map(\.abiValue) == [AFW_ACTION_ALLOW, AFW_ACTION_BLOCK, AFW_ACTION_REVIEW, AFW_ACTION_LOG].map { UInt8($0.rawValue) })
        for surface in Surface.allCases { #expect(Surface(abiValue: surface.abiValue) == surface) }
        for action in Action.allCases { #expect(Action(abiValue: action.abiValue) == action) }
    }

    @Test func valuesOutsideTheABIAreRejected() {
        #expect(Surface(abiValue: 0) == nil)
        #expect(Surface(abiValue: 4) == nil)
        #expect(Action(abiValue: 4) == nil)
        #expect(Action(abiValue: 255) == nil)
    }

    @Test func fileAccessBitsAreTheABIBits() {
        #expect(FileAccess.read.rawValue == UInt8(AFW_ACCESS_READ.rawValue))
        #expect(FileAccess.write.rawValue == UInt8(AFW_ACCESS_WRITE.rawValue))
        #expect(FileAccess.create.rawValue == UInt8(AFW_ACCESS_CREATE.rawValue))
        #expect(FileAccess.exec.rawValue == UInt8(AFW_ACCESS_EXEC.rawValue))
        #expect(FileAccess([.write, .read]).names == ["read", "write"])
        #expect(FileAccess().names.isEmpty)
    }

    @Test func yamlSpellings() {
        #expect(Surface.allCases.map(\.rawValue) == ["file", "exec", "network"])
        #expect(Action.allCases.map(\.rawValue) == ["allow", "block", "review", "log"])
        #expect(AuditAllowed.allCases.map(\.rawValue) == ["list", "count"])
    }
}
