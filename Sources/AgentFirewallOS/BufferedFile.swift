import Glibc

/// A file written through an in-memory buffer: one write(2) per buffer-full instead of one
/// per record, so an agent that makes many calls does not cost a syscall per audit line.
/// Not thread-safe: one owner at a time.
public final class BufferedFile {
    public let path: String
    private let descriptor: Int32
    private var buffer: [UInt8] = []
    private let capacity: Int
    /// The first write error; later writes are skipped, since the file is already incomplete.
    public private(set) var writeError: OSError?

    /// Creates or truncates the file (mode for a new file), write-only, close-on-exec so the
    /// agent never inherits the descriptor.
    public init(creatingAt path: String, mode: mode_t, capacity: Int = 64 * 1024) throws(OSError) {
        self.path = path
        self.capacity = capacity
        descriptor = try retryingInterrupts("open") { open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode) }
        buffer.reserveCapacity(capacity)
    }

    public func write(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
        if buffer.count >= capacity { flush() }
    }

    public var hasBufferedBytes: Bool { !buffer.isEmpty }

    public func flush() {
        defer { buffer.removeAll(keepingCapacity: true) }
        guard writeError == nil else { return }
        buffer.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                do throws(OSError) {
                    offset += try retryingInterrupts("write") {
                        Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                    }
                } catch {
                    writeError = error
                    return
                }
            }
        }
    }

    /// Flushes and closes. Returns the first error the file saw, if any.
    public func close() -> OSError? {
        flush()
        if Glibc.close(descriptor) != 0 && writeError == nil {
            writeError = OSError(call: "close", errno: Glibc.errno)
        }
        return writeError
    }
}
