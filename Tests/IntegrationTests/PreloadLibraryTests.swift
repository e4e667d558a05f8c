import Foundation
import Testing

/// The preload library is loaded into every agent process: it must need nothing but libc
/// (no Swift runtime, no libseccomp) and export nothing but its hooks.
@Suite struct PreloadLibraryTests {
    static let hooks: Set<String> = [
        "open", "open64", "openat", "openat64", "__open_2", "__open64_2", "__openat_2", "__openat64_2",
        "creat", "creat64", "fopen", "fopen64", "freopen", "freopen64",
        "execve", "execv", "execvp", "execvpe", "execl", "execlp", "execle", "fexecve", "execveat",
        "posix_spawn", "posix_spawnp", "posix_spawn_file_actions_addopen", "system", "popen",
        "connect", "sendto", "sendmsg", "syscall", "rename", "renameat", "renameat2", "link", "linkat",
        "unlink", "unlinkat", "rmdir", "remove", "truncate", "truncate64",
        "getaddrinfo", "gethostbyname", "gethostbyname2", "gethostbyname_r", "gethostbyname2_r",
    ]
    /// Defined by the linker in every shared object; not ours to hide.
    static let linkerSymbols: Set<String> = ["_edata", "_end", "__bss_start"]

    @Test func needsOnlyLibc() throws {
        let outcome = try Command.run("/usr/bin/env", ["readelf", "-d", Build.preloadLibrary])
        #expect(outcome.status == 0)
        let needed = outcome.stdout.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(needed.count == 1)
        #expect(needed.first?.contains("[libc.so.6]") == true)
    }

    @Test func exportsExactlyTheHooks() throws {
        let outcome = try Command.run("/usr/bin/env", ["nm", "-D", "--defined-only", Build.preloadLibrary])
        #expect(outcome.status == 0)
        let exported = Set(outcome.stdout.split(separator: "\n").compactMap { line in
            line.split(separator: " ").last.map { String($0.split(separator: "@").first ?? $0) }
        }).subtracting(Self.linkerSymbols)
        #expect(exported == Self.hooks)
    }
}
