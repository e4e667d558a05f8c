import AgentFirewallOS
import AgentFirewallSupervisor
import Glibc
import Testing

struct SeccompDenyListTests {
    @Test func everyListedCallIsKnownToLibseccompOnEveryArchitecture() throws {
        // makeFilter resolves each name for each architecture; a misspelt or unknown call
        // throws here instead of leaving a hole in the filter that `run` installs.
        _ = try SeccompDenyList.makeFilter()
    }

    @Test func noCallIsListedTwice() {
        let calls = SeccompDenyList.rules.flatMap(\.syscalls)
        #expect(Set(calls).count == calls.count)
    }

    @Test func theCallsTheBackstopPromisesAreDenied() {
        let calls = Set(SeccompDenyList.rules.flatMap(\.syscalls))
        for call in [
            "io_uring_setup", "io_uring_enter", "io_uring_register", "ptrace", "process_vm_readv", "process_vm_writev",
            "bpf", "perf_event_open", "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
            "mount", "umount2", "pivot_root", "move_mount", "open_tree", "fsopen", "fsmount", "unshare", "clone",
            "clone3", "keyctl", "add_key", "request_key", "userfaultfd", "personality", "open_by_handle_at",
        ] {
            #expect(calls.contains(call), "\(call) is not denied")
        }
    }

    @Test func cloneAndUnshareAreDeniedOnlyForANewUserNamespace() throws {
        // Denying clone outright would stop every fork and thread; only CLONE_NEWUSER is.
        let rule = try #require(SeccompDenyList.rules.first { $0.syscalls.contains("clone") })
        #expect(rule.syscalls.contains("unshare"))
        #expect(rule.match == SeccompFilter.ArgumentMatch(index: 0, mask: 0x1000_0000, value: 0x1000_0000))
        #expect(rule.errno == EPERM)
    }

    @Test func clone3FailsAsIfTheKernelLackedItSoThatLibcFallsBackToClone() throws {
        let rule = try #require(SeccompDenyList.rules.first { $0.syscalls.contains("clone3") })
        #expect(rule.syscalls == ["clone3"])
        #expect(rule.errno == ENOSYS)
        #expect(rule.match == nil)
    }

    @Test func personalityIsDeniedOnlyWhenItTurnsOffAddressRandomisation() throws {
        let rule = try #require(SeccompDenyList.rules.first { $0.syscalls.contains("personality") })
        #expect(rule.match == SeccompFilter.ArgumentMatch(index: 0, mask: 0x0004_0000, value: 0x0004_0000))
    }

    /// Only TIOCSTI: every other ioctl (terminal modes, FIONREAD...) is everyday work.
    @Test func ioctlIsDeniedOnlyToTypeIntoATerminal() throws {
        let rule = try #require(SeccompDenyList.rules.first { $0.syscalls.contains("ioctl") })
        #expect(rule.syscalls == ["ioctl"])
        #expect(rule.match == SeccompFilter.ArgumentMatch(index: 1, mask: 0xFFFF_FFFF, value: UInt64(TIOCSTI)))
    }

    @Test func everyRuleSaysWhy() {
        for rule in SeccompDenyList.rules {
            #expect(!rule.reason.isEmpty, "\(rule.syscalls) has no reason")
        }
    }

    @Test func theNativeArchitectureComesFirst() throws {
        let native = try #require(SeccompDenyList.architectures.first)
        #if arch(x86_64)
        #expect(native.libseccompName == "x86_64")
        #elseif arch(arm64)
        #expect(native.libseccompName == "aarch64")
        #endif
    }
}
