import Glibc

public enum Clock {
    /// Nanoseconds since the epoch (CLOCK_REALTIME): the clock the shim stamps events with.
    public static func realtimeNanoseconds() -> UInt64 {
        nanoseconds(CLOCK_REALTIME)
    }

    /// Nanoseconds of CLOCK_MONOTONIC, for intervals that must not jump with the wall clock.
    public static func monotonicNanoseconds() -> UInt64 {
        nanoseconds(CLOCK_MONOTONIC)
    }

    private static func nanoseconds(_ clock: clockid_t) -> UInt64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return UInt64(now.tv_sec) &* 1_000_000_000 &+ UInt64(now.tv_nsec)
    }
}
