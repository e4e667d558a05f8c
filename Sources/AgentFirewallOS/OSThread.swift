import Glibc

/// A plain POSIX thread that runs one closure. The supervisor's ring server needs a thread
/// of its own that blocks in futex waits; Swift concurrency's cooperative pool must never
/// block, and Foundation's Thread would pull Foundation into the supervisor.
public struct OSThread: ~Copyable {
    private let handle: pthread_t

    /// Starts the thread. It inherits the caller's signal mask.
    public init(_ body: @escaping @Sendable () -> Void) throws(OSError) {
        let context = Unmanaged.passRetained(ThreadBody(body)).toOpaque()
        var handle = pthread_t()
        let error = pthread_create(&handle, nil, { context in
            let body = Unmanaged<ThreadBody>.fromOpaque(context!).takeRetainedValue()
            body.run()
            return nil
        }, context)
        if error != 0 {
            Unmanaged<ThreadBody>.fromOpaque(context).release()
            throw OSError(call: "pthread_create", errno: error)
        }
        self.handle = handle
    }

    /// Waits for the thread to return. Everything it wrote is visible to the caller afterwards.
    public consuming func join() {
        pthread_join(handle, nil)
    }
}

private final class ThreadBody {
    let run: @Sendable () -> Void
    init(_ run: @escaping @Sendable () -> Void) { self.run = run }
}
