import Foundation

/// An IPv4 or IPv6 address in network byte order, as the event records carry it.
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 or 6.
    public let family: UInt8
    /// 4 bytes for IPv4, 16 for IPv6, network byte order.
    public let bytes: [UInt8]

    /// Parses "127.0.0.1" or "::1" (inet_pton syntax: no brackets, no port, no zone).
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            self.init(family: 4, bytes: withUnsafeBytes(of: v4) { Array($0) })
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            self.init(family: 6, bytes: withUnsafeBytes(of: v6) { Array($0) })
            return
        }
        return nil
    }

    /// Takes bytes as a record carries them: a family other than 4 is IPv6, and the bytes are
    /// cut or zero-padded to the family's length, so a hostile record cannot make an address
    /// that later code would index out of bounds.
    public init(family: UInt8, bytes: [UInt8]) {
        let canonicalFamily: UInt8 = family == 4 ? 4 : 6
        let length = canonicalFamily == 4 ? 4 : 16
        self.family = canonicalFamily
        self.bytes = Array(bytes.prefix(length)) + Array(repeating: 0, count: max(0, length - bytes.count))
    }

    /// The 16 bytes of the ABI's address field: IPv4 in the first four.
    var abiBytes: [UInt8] { bytes + Array(repeating: 0, count: 16 - bytes.count) }

    public var description: String {
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = bytes.withUnsafeBytes { raw in
            inet_ntop(family == 4 ? AF_INET : AF_INET6, raw.baseAddress, &text, socklen_t(text.count))
        }
        guard written != nil else { return "?" }
        return String(nulTerminated: text)
    }
}
