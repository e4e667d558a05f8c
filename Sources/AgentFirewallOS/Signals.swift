import Glibc

/// A set of signal numbers (sigset_t).
public struct SignalSet: Sendable {
    fileprivate var raw = sigset_t()

    public init(_ signals: [Int32] = []) {
        sigemptyset(&raw)
        for signal in signals { sigaddset(&raw, signal) }
    }

    public func contains(_ signal: Int32) -> Bool {
        Swift.withUnsafePointer(to: raw) { sigismember($0, signal) == 1 }
    }

    /// Calls body with a pointer to the sigset_t, for APIs such as posix_spawnattr_setsigmask.
    public func withUnsafePointer<Result>(_ body: (UnsafePointer<sigset_t>) throws -> Result) rethrows -> Result {
        try Swift.withUnsafePointer(to: raw, body)
    }
}

/// A signal taken from the pending set with sigwaitinfo.
public struct ReceivedSignal: Sendable, Equatable {
    public let number: Int32
    /// siginfo's si_code: <= 0 when a process sent it (kill, sigqueue, tgkill), > 0 when the
    /// kernel did (SI_KERNEL for a terminal's Ctrl-C, CLD_* for SIGCHLD).
    public let code: Int32

    public var wasSentByProcess: Bool { code <= 0 }
}

public enum Signals {
    /// Blocks the signals in the calling thread and returns the previous mask. Threads
    /// created afterwards inherit the mask, so block before starting any thread: a signal
    /// is then delivered to nobody and stays pending until `wait(for:)` takes it.
    @discardableResult
    public static func block(_ signals: SignalSet) throws(OSError) -> SignalSet {
        var previous = SignalSet()
        let error = signals.withUnsafePointer { pthread_sigmask(SIG_BLOCK, $0, &previous.raw) }
        if error != 0 { throw OSError(call: "pthread_sigmask", errno: error) }
        return previous
    }

    /// Restores a mask returned by `block`.
    public static func setMask(_ mask: SignalSet) throws(OSError) {
        let error = mask.withUnsafePointer { pthread_sigmask(SIG_SETMASK, $0, nil) }
        if error != 0 { throw OSError(call: "pthread_sigmask", errno: error) }
    }

    /// Waits until one of the (blocked) signals is pending and takes it; nil when the
    /// timeout passes first.
    public static func wait(for signals: SignalSet, timeoutMilliseconds: Int) throws(OSError) -> ReceivedSignal? {
        var info = siginfo_t()
        var timeout = timespec(tv_sec: timeoutMilliseconds / 1000, tv_nsec: (timeoutMilliseconds % 1000) * 1_000_000)
        let number: Int32
        do {
            number = try retryingInterrupts("sigtimedwait") {
                signals.withUnsafePointer { sigtimedwait($0, &info, &timeout) }
            }
        } catch where error.errno == EAGAIN {
            return nil
        }
        return ReceivedSignal(number: number, code: info.si_code)
    }

    /// Sends a signal to a process.
    public static func send(_ signal: Int32, to pid: pid_t) throws(OSError) {
        if kill(pid, signal) != 0 { throw OSError(call: "kill", errno: Glibc.errno) }
    }

    /// Whether the process currently ignores the signal (SIG_IGN), e.g. SIGCHLD set to
    /// ignored by whoever started us, which would make the kernel reap our children itself.
    public static func isIgnored(_ signal: Int32) -> Bool {
        var current = sigaction()
        guard sigaction(signal, nil, &current) == 0 else { return false }
        // Function pointers are not Equatable in Swift; SIG_IGN is the constant (void (*)(int))1.
        return unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) == unsafeBitCast(SIG_IGN, to: Int.self)
    }

    /// Sets the signal's disposition back to SIG_DFL.
    public static func restoreDefault(_ signal: Int32) throws(OSError) {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = SIG_DFL
        sigemptyset(&action.sa_mask)
        if sigaction(signal, &action, nil) != 0 { throw OSError(call: "sigaction", errno: Glibc.errno) }
    }
}
