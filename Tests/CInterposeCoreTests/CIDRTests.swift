import CInterposeCore
import Testing

private struct Block: Equatable {
    var family: UInt8
    var address: [UInt8]
    var prefixLength: UInt8
}

private func parse(_ text: String) -> Block? {
    var family: UInt8 = 0
    var address = [UInt8](repeating: 0xAA, count: 16)
    var prefixLength: UInt8 = 0
    guard afw_cidr_parse(text, &family, &address, &prefixLength) == Int32(AFW_OK) else { return nil }
    return Block(family: family, address: address, prefixLength: prefixLength)
}

/// An address as the shim sees it on connect: family 4 (bytes in the first four) or 6.
private func address(_ text: String) -> (family: UInt8, bytes: [UInt8]) {
    let block = parse(text)!
    return (block.family, block.address)
}

private func contains(_ cidr: String, _ text: String) -> Bool {
    let block = parse(cidr)!
    let (family, bytes) = address(text)
    return afw_cidr_contains(block.family, block.address, block.prefixLength, family, bytes)
}

private func v4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> [UInt8] {
    [a, b, c, d] + [UInt8](repeating: 0, count: 12)
}

@Suite struct CIDRTests {
    @Test func parsesIPv4Blocks() {
        #expect(parse("10.0.0.0/8") == Block(family: 4, address: v4(10, 0, 0, 0), prefixLength: 8))
        #expect(parse("127.0.0.1") == Block(family: 4, address: v4(127, 0, 0, 1), prefixLength: 32))
        #expect(parse("0.0.0.0/0") == Block(family: 4, address: v4(0, 0, 0, 0), prefixLength: 0))
        #expect(parse("192.168.1.130/25") == Block(family: 4, address: v4(192, 168, 1, 128), prefixLength: 25))
    }

    @Test func masksHostBits() {
        #expect(parse("10.1.2.3/8")?.address == v4(10, 0, 0, 0))
        #expect(parse("2001:db8::1/32")?.address == parse("2001:db8::")?.address)
    }

    @Test func parsesIPv6Blocks() {
        var loopback = [UInt8](repeating: 0, count: 16)
        loopback[15] = 1
        #expect(parse("::1/128") == Block(family: 6, address: loopback, prefixLength: 128))
        #expect(parse("::1") == Block(family: 6, address: loopback, prefixLength: 128))
        #expect(parse("::/0")?.prefixLength == 0)
        #expect(parse("::ffff:10.0.0.1")?.family == 6)
    }

    @Test(arguments: [
        "", "/8", "10.0.0.0/", "10.0.0.0/33", "::/129", "10.0.0.0/+8", "10.0.0.0/ 8", "10.0.0.0/0x8",
        "10.0.0.0/-1", "10.0.0.0/8/9", "10.0.0", "300.0.0.1", "example.com", "10.0.0.0 /8", " 10.0.0.0",
        "1.2.3.4/0008", "::1::2", String(repeating: "1", count: 100), "fe80::1%eth0",
    ])
    func rejectsMalformedText(text: String) {
        #expect(parse(text) == nil)
    }

    @Test func rejectsNullArguments() {
        var family: UInt8 = 0
        var prefixLength: UInt8 = 0
        var bytes = [UInt8](repeating: 0, count: 16)
        #expect(afw_cidr_parse(nil, &family, &bytes, &prefixLength) == Int32(AFW_E_INVALID))
        #expect(afw_cidr_parse("10.0.0.0/8", nil, &bytes, &prefixLength) == Int32(AFW_E_INVALID))
    }

    @Test(arguments: [
        ("10.0.0.0/8", "10.255.1.1", true), ("10.0.0.0/8", "11.0.0.1", false), ("10.0.0.0/8", "9.255.255.255", false),
        ("0.0.0.0/0", "203.0.113.9", true), ("127.0.0.0/8", "127.8.9.10", true),
        ("192.168.1.0/25", "192.168.1.127", true), ("192.168.1.0/25", "192.168.1.128", false),
        ("127.0.0.1/32", "127.0.0.1", true), ("127.0.0.1/32", "127.0.0.2", false),
        ("::1/128", "::1", true), ("::1/128", "::2", false), ("2001:db8::/32", "2001:db8:ffff::1", true),
        ("2001:db8::/33", "2001:db8:8000::1", false), ("fe80::/10", "febf::1", true), ("fe80::/10", "fec0::1", false),
        // Dual-stack sockets report IPv4 peers as v4-mapped IPv6.
        ("10.0.0.0/8", "::ffff:10.1.2.3", true), ("10.0.0.0/8", "::ffff:11.1.2.3", false),
        ("::ffff:0:0/96", "10.1.2.3", true), ("::ffff:10.0.0.0/104", "10.9.9.9", true),
        ("::ffff:10.0.0.0/104", "11.9.9.9", false), ("::/0", "::ffff:1.2.3.4", true),
        // Not mapped: a v6 address is not a v4 one, and the reverse.
        ("127.0.0.0/8", "::1", false), ("::1/128", "0.0.0.1", false), ("10.0.0.0/8", "::10.1.2.3", false),
    ])
    func containment(cidr: String, address: String, expected: Bool) {
        #expect(contains(cidr, address) == expected)
    }

    @Test func rejectsImpossibleBlocksAndFamilies() {
        let zero = [UInt8](repeating: 0, count: 16)
        #expect(!afw_cidr_contains(4, zero, 33, 4, zero))
        #expect(!afw_cidr_contains(6, zero, 129, 6, zero))
        #expect(!afw_cidr_contains(5, zero, 0, 4, zero))
        #expect(!afw_cidr_contains(4, zero, 0, 0, zero))
        #expect(!afw_cidr_contains(4, nil, 0, 4, zero))
        #expect(afw_cidr_contains(4, zero, 0, 4, zero))
    }
}
