import AgentFirewallSupervisor
import Testing

@Suite struct AgentEnvironmentTests {
    func entries(_ environment: [[UInt8]]) -> [String] {
        environment.map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func putsThePreloadLibraryFirstAndPointsTheShimAtTheSegment() {
        let environment = AgentEnvironment.build(
            inherited: [Array("PATH=/usr/bin".utf8), Array("LD_PRELOAD=/opt/other.so".utf8)],
            preloadLibrary: "/opt/afw/libagentfirewall-preload.so", segmentName: "/agentfirewall.1.abc")
        #expect(entries(environment) == [
            "PATH=/usr/bin",
            "LD_PRELOAD=/opt/afw/libagentfirewall-preload.so:/opt/other.so",
            "AGENTFIREWALL_SHM=/agentfirewall.1.abc",
            "AGENTFIREWALL_PRELOAD=/opt/afw/libagentfirewall-preload.so",
        ])
    }

    @Test func dropsInheritedFirewallVariablesAndASecondCopyOfTheLibrary() {
        let environment = AgentEnvironment.build(
            inherited: [Array("AGENTFIREWALL_SHM=/someone.else".utf8),
                        Array("LD_PRELOAD=/lib/afw.so /opt/x.so:/lib/afw.so".utf8)],
            preloadLibrary: "/lib/afw.so", segmentName: "/agentfirewall.2.def")
        #expect(entries(environment) == [
            "LD_PRELOAD=/lib/afw.so:/opt/x.so",
            "AGENTFIREWALL_SHM=/agentfirewall.2.def",
            "AGENTFIREWALL_PRELOAD=/lib/afw.so",
        ])
    }

    @Test func keepsBytesThatAreNotUTF8() {
        let odd: [UInt8] = Array("NAME=".utf8) + [0xFF, 0xFE]
        let environment = AgentEnvironment.build(inherited: [odd], preloadLibrary: "/l.so", segmentName: "/s")
        #expect(environment.first == odd)
    }
}
