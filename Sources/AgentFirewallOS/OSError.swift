import Glibc

/// A failed system call: which call, and the errno it left, captured immediately after it.
public struct OSError: Error, Equatable, CustomStringConvertible, Sendable {
    public let call: String
    public let errno: Int32

    public init(call: String, errno: Int32) {
        self.call = call
        self.errno = errno
    }

    /// "shm_open: Permission denied"
    public var description: String { "\(call): \(String(cString: strerror(errno)))" }
}

/// Runs a call that returns -1 and sets errno on failure, retrying when a signal interrupted
/// it. The supervisor blocks the signals it handles, but SIGSTOP/SIGCONT (job control) can
/// still interrupt a slow call with EINTR; this is the one place that retries.
@inline(__always)
func retryingInterrupts<Result: BinaryInteger>(
    _ call: String, _ body: () -> Result
) throws(OSError) -> Result {
    while true {
        let result = body()
        if result != -1 { return result }
        let error = Glibc.errno
        if error != EINTR { throw OSError(call: call, errno: error) }
    }
}
