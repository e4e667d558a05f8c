import Glibc

/// Wakes a thread that sleeps in poll or read: `signal` makes `descriptor` readable until
/// `drain`. A socket pair, since Glibc's Swift module has neither eventfd nor pipe2, and
/// non-blocking: a signal while one is already pending finds the buffer full and needs
/// nothing more.
final class WakeChannel: Sendable {
    /// Becomes readable on `signal`.
    let descriptor: Int32
    private let writeEnd: Int32

    init(_ purpose: String) throws(SupervisorError) {
        var ends: [Int32] = [-1, -1]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0, &ends) == 0 else {
            throw SupervisorError(.system, "cannot create the \(purpose)'s wake-up socket: \(String(cString: strerror(errno)))")
        }
        (descriptor, writeEnd) = (ends[0], ends[1])
    }

    deinit {
        close(descriptor)
        close(writeEnd)
    }

    func signal() {
        var byte: UInt8 = 1
        _ = send(writeEnd, &byte, 1, Int32(MSG_NOSIGNAL))
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while recv(descriptor, &buffer, buffer.count, 0) > 0 {}
    }
}
