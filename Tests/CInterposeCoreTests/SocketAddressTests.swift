import CInterposeCore
import Glibc
import Testing

@Suite struct SocketAddressTests {
    func destination<Address>(_ address: Address, length: Int = MemoryLayout<Address>.size) -> (family: UInt8, bytes: [UInt8], port: UInt16)? {
        var address = address
        var family: UInt8 = 0
        var bytes = [UInt8](repeating: 0xAA, count: 16)
        var port: UInt16 = 0
        let found = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { afw_socket_destination($0, length, &family, &bytes, &port) }
        }
        return found ? (family, bytes, port) : nil
    }

    @Test func anIPv4AddressIsItsFourBytesAndPort() {
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        v4.sin_port = UInt16(443).bigEndian
        inet_pton(AF_INET, "127.0.0.2", &v4.sin_addr)
        let found = destination(v4)
        #expect(found?.family == 4)
        #expect(found?.bytes == [127, 0, 0, 2] + [UInt8](repeating: 0, count: 12))
        #expect(found?.port == 443)
    }

    @Test func anIPv6AddressIsItsSixteenBytesAndPort() {
        var v6 = sockaddr_in6()
        v6.sin6_family = sa_family_t(AF_INET6)
        v6.sin6_port = UInt16(22).bigEndian
        inet_pton(AF_INET6, "::1", &v6.sin6_addr)
        let found = destination(v6)
        #expect(found?.family == 6)
        #expect(found?.bytes == [UInt8](repeating: 0, count: 15) + [1])
        #expect(found?.port == 22)
    }

    /// A Unix socket is local plumbing, and an address shorter than its family's is one the
    /// kernel refuses: neither is a network destination.
    @Test func otherFamiliesAndShortAddressesAreNone() {
        var unix = sockaddr_un()
        unix.sun_family = sa_family_t(AF_UNIX)
        #expect(destination(unix) == nil)
        var v4 = sockaddr_in()
        v4.sin_family = sa_family_t(AF_INET)
        #expect(destination(v4, length: 4) == nil)
        #expect(destination(v4, length: 1) == nil)
    }
}
