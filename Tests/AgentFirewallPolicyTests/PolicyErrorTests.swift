import AgentFirewallPolicy
import Testing

@Suite struct PolicyErrorTests {
    @Test func describesItselfLikeACompiler() {
        let error = PolicyError(.badGlob, path: "team.yaml", line: 12, column: 15, message: "bad glob '[a': unterminated [ class")
        #expect(error.description == "team.yaml:12:15: error: bad glob '[a': unterminated [ class")
        #expect("\(error)" == error.description)
    }

    @Test func takesItsPositionFromALocation() {
        let location = PolicyLocation(path: "builtin:default", line: 3, column: 9)
        let error = PolicyError(.duplicateID, at: location, message: "x")
        #expect(error == PolicyError(.duplicateID, path: "builtin:default", line: 3, column: 9, message: "x"))
        #expect(location.description == "builtin:default:3:9")
    }

    @Test func codesAreDistinct() {
        let codes: [PolicyError.Code] = [.unreadable, .syntax, .version, .unknownKey, .missingKey, .wrongType, .unknownValue,
                                         .badID, .duplicateID, .badGlob, .badCIDR, .badPort, .keyNotForSurface, .emptyMatch,
                                         .exampleMiss, .badExample, .extendsNotFound, .extendsCycle]
        #expect(Set(codes).count == codes.count)
        #expect(PolicyError.Code.badCIDR.description == "bad-cidr")
    }
}
