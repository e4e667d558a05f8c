import Glibc

/// A POSIX shared-memory object (/dev/shm), mapped read-write and shared; unmapped when the
/// last reference goes.
public final class SharedMemory {
    public let name: String
    public let base: UnsafeMutableRawPointer
    public let size: Int

    /// Creates a new object (O_EXCL: never adopts one that someone else prepared under the
    /// same name), sizes it and maps it. The object is zero-filled by the kernel.
    public static func createExclusive(name: String, size: Int, mode: mode_t) throws(OSError) -> SharedMemory {
        let fd = try retryingInterrupts("shm_open") { shm_open(name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, mode) }
        // The mapping keeps the object alive; the descriptor would only leak into children.
        defer { close(fd) }
        do throws(OSError) {
            _ = try retryingInterrupts("ftruncate") { ftruncate(fd, off_t(size)) }
            let mapped = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)
            // MAP_FAILED is ((void *)-1), a macro Swift does not import.
            guard let base = mapped, base != UnsafeMutableRawPointer(bitPattern: -1) else {
                throw OSError(call: "mmap", errno: Glibc.errno)
            }
            return SharedMemory(name: name, base: base, size: size)
        } catch {
            shm_unlink(name)
            throw error
        }
    }

    /// Removes the name so no new process can open it; existing mappings stay valid.
    public static func unlink(name: String) throws(OSError) {
        if shm_unlink(name) != 0 { throw OSError(call: "shm_unlink", errno: Glibc.errno) }
    }

    private init(name: String, base: UnsafeMutableRawPointer, size: Int) {
        self.name = name
        self.base = base
        self.size = size
    }

    deinit {
        munmap(base, size)
    }
}
