import AgentFirewallPolicy
import Testing

@Suite struct IPAddressTests {
    @Test func parsesAndPrintsV4AndV6() {
        let v4 = IPAddress("127.0.0.1")
        #expect(v4?.family == 4)
        #expect(v4?.bytes == [127, 0, 0, 1])
        #expect(v4?.description == "127.0.0.1")
        let v6 = IPAddress("::1")
        #expect(v6?.family == 6)
        #expect(v6?.bytes == Array(repeating: 0, count: 15) + [1])
        #expect(v6?.description == "::1")
        #expect(IPAddress("::ffff:127.0.0.1")?.description == "::ffff:127.0.0.1")
    }

    @Test(arguments: ["", "localhost", "127.0.0.1:80", "[::1]", "1.2.3", "::1/128", "fe80::1%eth0", "256.0.0.1"])
    func rejectsWhatIsNotAnAddress(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func bytesFromARecordAreForcedToTheFamilysLength() {
        #expect(IPAddress(family: 4, bytes: [10, 0, 0, 1, 9, 9]).bytes == [10, 0, 0, 1])
        #expect(IPAddress(family: 6, bytes: [0xfe, 0x80]).bytes == [0xfe, 0x80] + Array(repeating: 0, count: 14))
        #expect(IPAddress(family: 77, bytes: []).family == 6)
    }
}
