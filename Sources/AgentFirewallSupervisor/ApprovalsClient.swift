import Glibc

/// A connection to one run's control socket, for `agentfirewall approvals`: one request
/// line out, one reply line back (`ApprovalsProtocol`).
public final class ApprovalsClient {
    public let run: String
    private let descriptor: Int32
    private var input: [UInt8] = []

    /// Connects to run `run`; throws when it is not running (a directory left by a
    /// supervisor that was killed has a socket nobody listens on).
    public init(run: String, in user: String) throws(SupervisorError) {
        self.run = run
        let path = user + "/" + run + "/" + ApprovalsDirectory.socketName
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else {
            throw SupervisorError(.system, "cannot create a socket: \(String(cString: strerror(errno)))")
        }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw SupervisorError(.system, "the control socket path \(path) is too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: pathBytes) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw SupervisorError(.system, "run \(run) is not answering at \(path): \(reason)")
        }
    }

    deinit { close(descriptor) }

    /// Sends one request and returns the reply line's object.
    public func request(_ object: [String: Any]) throws(SupervisorError) -> [String: Any] {
        let line = ApprovalsProtocol.line(object)
        var offset = 0
        while offset < line.count {
            let written = line[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { throw lost() }
            offset += written
        }
        while true {
            if let newline = input.firstIndex(of: UInt8(ascii: "\n")) {
                let reply = input[..<newline]
                input.removeSubrange(...newline)
                guard let object = ApprovalsProtocol.decode(reply) else {
                    throw SupervisorError(.internalFailure, "run \(run) sent a reply that is not a JSON object")
                }
                return object
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { throw lost() }
            input += buffer.prefix(count)
        }
    }

    private func lost() -> SupervisorError {
        SupervisorError(.system, "run \(run) closed the connection (it has ended?)")
    }
}
