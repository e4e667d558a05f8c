import AgentFirewallOS
import Glibc
import Testing

struct SeccompFilterTests {
    @Test func anUnknownCallIsAnErrorNotAHoleInTheFilter() throws {
        let filter = try SeccompFilter()
        #expect(throws: OSError.self) { try filter.deny("no_such_call", errno: EPERM) }
    }

    @Test func anUnknownArchitectureIsAnError() throws {
        let filter = try SeccompFilter()
        #expect(throws: OSError.self) { try filter.addArchitecture("no-such-cpu") }
    }

    @Test func aLoadedFilterDeniesWithItsErrnoOnItsOwnThreadOnly() throws {
        final class Seen: @unchecked Sendable {
            var fchdir: (Int32, Int32) = (0, 0)
            var dupMatching: (Int32, Int32) = (0, 0)
            var dupOther: (Int32, Int32) = (0, 0)
        }
        let seen = Seen()
        let filter = try SeccompFilter()
        try filter.deny("fchdir", errno: EPERM)
        // dup(fd) refused only when fd's low 16 bits are 0x1234; any other fd is untouched.
        try filter.deny("dup", errno: ENOTSUP, when: SeccompFilter.ArgumentMatch(index: 0, mask: 0xFFFF, value: 0x1234))
        // A thread of its own: the filter stays with the thread, which ends with the test.
        let thread = try OSThread {
            do {
                try filter.loadOnCurrentThread()
            } catch {
                return
            }
            errno = 0
            seen.fchdir = (fchdir(-1), errno)
            errno = 0
            seen.dupMatching = (dup(0x1234), errno)
            errno = 0
            seen.dupOther = (dup(0x1235), errno)
        }
        thread.join()
        #expect(seen.fchdir == (-1, EPERM))
        #expect(seen.dupMatching == (-1, ENOTSUP))
        #expect(seen.dupOther == (-1, EBADF))  // the kernel's own answer: no such descriptor
        // This thread is not filtered: the kernel's own answer (no such descriptor).
        errno = 0
        #expect(fchdir(-1) == -1 && errno == EBADF)
    }
}
