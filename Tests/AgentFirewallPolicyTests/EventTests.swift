import AgentFirewallPolicy
import Testing

@Suite struct EventTests {
    @Test func eachEventNamesItsSurface() {
        #expect(file("/x").surface == .file)
        #expect(exec("ls").surface == .exec)
        #expect(connect("::1", 1).surface == .network)
    }
}
