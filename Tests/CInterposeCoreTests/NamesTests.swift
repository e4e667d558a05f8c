import CInterposeCore
import Testing

// The spellings are the audit record's vocabulary (SPEC.md): a change here breaks readers.
@Suite struct NamesTests {
    @Test func surfaces() {
        #expect(String(cString: afw_surface_name(UInt8(AFW_SURFACE_FILE.rawValue))) == "file")
        #expect(String(cString: afw_surface_name(UInt8(AFW_SURFACE_EXEC.rawValue))) == "exec")
        #expect(String(cString: afw_surface_name(UInt8(AFW_SURFACE_NETWORK.rawValue))) == "network")
        #expect(String(cString: afw_surface_name(0)) == "unknown")
        #expect(String(cString: afw_surface_name(200)) == "unknown")
    }

    @Test func actions() {
        #expect(String(cString: afw_action_name(UInt8(AFW_ACTION_ALLOW.rawValue))) == "allow")
        #expect(String(cString: afw_action_name(UInt8(AFW_ACTION_BLOCK.rawValue))) == "block")
        #expect(String(cString: afw_action_name(UInt8(AFW_ACTION_REVIEW.rawValue))) == "review")
        #expect(String(cString: afw_action_name(UInt8(AFW_ACTION_LOG.rawValue))) == "log")
        #expect(String(cString: afw_action_name(4)) == "unknown")
    }

    @Test func decisionPaths() {
        #expect(String(cString: afw_path_name(UInt8(AFW_PATH_FAST.rawValue))) == "fast")
        #expect(String(cString: afw_path_name(UInt8(AFW_PATH_SLOW.rawValue))) == "slow")
        #expect(String(cString: afw_path_name(UInt8(AFW_PATH_BACKSTOP.rawValue))) == "backstop")
        #expect(String(cString: afw_path_name(0)) == "unknown")
    }

    @Test func strictnessOrdersActionsFromAllowToBlock() {
        let order = [AFW_ACTION_ALLOW, AFW_ACTION_LOG, AFW_ACTION_REVIEW, AFW_ACTION_BLOCK]
            .map { afw_action_strictness(UInt8($0.rawValue)) }
        #expect(order == order.sorted() && Set(order).count == 4)
        #expect(afw_action_strictness(200) == afw_action_strictness(UInt8(AFW_ACTION_BLOCK.rawValue)))
    }
}
