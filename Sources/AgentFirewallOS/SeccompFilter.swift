import CAgentFirewallSeccomp
import Glibc

/// A seccomp filter that allows every system call except the ones denied with `deny`,
/// built with libseccomp and installed with `loadOnCurrentThread`.
///
/// A class (not a value) because it owns libseccomp's context, which is freed once; it is
/// handed to the thread that loads it and used by nobody else meanwhile.
public final class SeccompFilter: @unchecked Sendable {
    /// (argument[index] & mask) == value: the one comparison a deny rule needs (a flag bit set).
    public struct ArgumentMatch: Sendable, Equatable {
        public let index: UInt32
        public let mask: UInt64
        public let value: UInt64

        public init(index: UInt32, mask: UInt64, value: UInt64) {
            self.index = index
            self.mask = mask
            self.value = value
        }
    }

    private let context: afw_seccomp_filter

    public init() throws(OSError) {
        guard let context = afw_seccomp_filter_new() else { throw OSError(call: "seccomp_init", errno: ENOMEM) }
        self.context = context
    }

    deinit { afw_seccomp_filter_release(context) }

    /// Adds a system-call ABI by libseccomp's name (e.g. "x86"), so that its calls meet the
    /// same rules; a filter kills a process that uses an ABI it does not list.
    public func addArchitecture(_ name: String) throws(OSError) {
        let result = afw_seccomp_filter_add_architecture(context, name)
        if result != 0 { throw OSError(call: "seccomp_arch_add(\(name))", errno: -result) }
    }

    /// Makes `syscall` fail with `errno` (when `match` is given, only for calls it matches).
    public func deny(_ syscall: String, errno: Int32, when match: ArgumentMatch? = nil) throws(OSError) {
        let result = afw_seccomp_filter_deny(
            context, syscall, errno, match != nil, match?.index ?? 0, match?.mask ?? 0, match?.value ?? 0)
        if result != 0 { throw OSError(call: "seccomp_rule_add(\(syscall))", errno: -result) }
    }

    /// Sets no_new_privs and installs the filter on the calling thread only: the thread and
    /// every process it starts from now on are filtered, for good; other threads are not.
    public func loadOnCurrentThread() throws(OSError) {
        let result = afw_seccomp_filter_load(context)
        if result != 0 { throw OSError(call: "seccomp_load", errno: -result) }
    }
}
