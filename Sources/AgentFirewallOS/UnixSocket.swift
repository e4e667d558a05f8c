import CAgentFirewallOSShim
import Glibc

/// Unix stream sockets, as the control socket of `agentfirewall approvals` uses them.
public enum UnixSocket {
    /// A connection accepted from a listener, with who made it.
    public struct Peer: Sendable {
        /// Close-on-exec and non-blocking.
        public let descriptor: Int32
        public let pid: Int32
        public let uid: uid_t
    }

    /// The next waiting connection, or nil when none waits (EAGAIN) or accepting failed.
    public static func accept(_ listener: Int32) -> Peer? {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        let descriptor = afw_os_accept_peer(listener, &pid, &uid)
        return descriptor >= 0 ? Peer(descriptor: descriptor, pid: pid, uid: uid) : nil
    }
}
