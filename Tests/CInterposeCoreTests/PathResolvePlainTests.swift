import CInterposeCore
import Glibc
import Testing

private func resolvePlain(_ path: String, followLast: Bool = true) -> (Int32, String) {
    let answer = resolvePlainWithPresence(path, followLast: followLast)
    return (answer.status, answer.path)
}

private func resolvePlainWithPresence(_ path: String, followLast: Bool = true) -> (status: Int32, path: String, exists: Bool) {
    var out = [CChar](repeating: 0, count: Int(PATH_MAX))
    var exists = false
    let status = afw_path_resolve_plain(path, followLast, &out, out.count, &exists)
    return (status, status == 0 ? String(cString: out) : "", exists)
}

@Suite struct PathResolvePlainTests {
    /// Files, directories, symlinks (to files, to directories, dangling, chained) and names
    /// that do not exist, reached straight, through "..", "." and "//".
    private func makeTree() throws -> TemporaryTree {
        let tree = try TemporaryTree()
        try tree.directory("d/e")
        tree.file("d/f.txt")
        tree.file(".env")
        try tree.link("notes", to: ".env")
        try tree.link("dl", to: "d/e")
        try tree.link("dangling", to: "d/created-later")
        try tree.link("chain", to: "notes")
        return tree
    }

    private func subjects(_ tree: TemporaryTree) -> [String] {
        let names = [
            "d", "d/", "d/e", "d/f.txt", ".env", "notes", "dl", "dl/..", "dl/../f.txt", "d/e/../f.txt",
            "d/./f.txt", "d//f.txt", "missing", "missing/x", "missing/../.env", "d/missing/../../.env",
            "dangling", "chain", "dl/new", "d/f.txt/x", "d/f.txt/..", "../" + tree.root.split(separator: "/").last! + "/.env",
        ]
        return names.map(tree.path) + ["/", "/proc/self/cwd", "/proc/self/fd/0", "/proc/\(getpid())/fd/0", "/etc/hostname"]
    }

    // The shim trusts the plain answer instead of the full resolution whenever it is given,
    // so it must be the full resolution's answer, for every shape of path.
    @Test(arguments: [true, false])
    func agreesWithTheFullResolutionWheneverItAnswers(followLast: Bool) throws {
        let tree = try makeTree()
        for path in subjects(tree) {
            let plain = resolvePlain(path, followLast: followLast)
            guard plain.0 == 0 else { continue }
            #expect(resolve(path, followLast: followLast) == plain, "\(path)")
        }
    }

    @Test func answersForPathsWithoutSymlinksExistingOrNot() throws {
        let tree = try makeTree()
        // An existing file first: ENOENT is trusted only once openat2 has been seen to work.
        #expect(resolvePlain(tree.path("d/./e/../f.txt")) == (0, tree.path("d/f.txt")))
        #expect(resolvePlain(tree.path("d/new-file")) == (0, tree.path("d/new-file")))
        #expect(resolvePlain(tree.path("missing/../.env")) == (0, tree.path(".env")))
        // O_NOFOLLOW opens the link itself: its own name is the answer.
        #expect(resolvePlain(tree.path("notes"), followLast: false) == (0, tree.path("notes")))
    }

    // "notes -> .env" must be judged as .env, which only the full resolution can say.
    @Test func declinesWhereTheKernelWouldFollowALink() throws {
        let tree = try makeTree()
        for name in ["notes", "chain", "dangling", "dl/new", "dl/../f.txt"] {
            #expect(resolvePlain(tree.path(name)).0 == Int32(AFW_E_SYS), "\(name)")
        }
        #expect(resolvePlain("/proc/self/cwd").0 == Int32(AFW_E_SYS))
        #expect(resolvePlain("/proc/\(getpid())/cwd/x").0 == Int32(AFW_E_SYS))
    }

    // The shim skips its access() call on O_CREAT opens when this answers, so it must say
    // what access() would: the kernel's view of whether the name exists.
    @Test(arguments: [true, false])
    func saysWhetherTheFileExists(followLast: Bool) throws {
        let tree = try makeTree()
        var answered = 0
        for path in subjects(tree) {
            let plain = resolvePlainWithPresence(path, followLast: followLast)
            guard plain.status == 0 else { continue }
            answered += 1
            var status = stat()
            let present = (followLast ? stat(path, &status) : lstat(path, &status)) == 0
            #expect(plain.exists == present, "\(path)")
        }
        #expect(answered > 5)
    }

    @Test func leavesErrnoAsItFoundIt() throws {
        let tree = try makeTree()
        for name in ["missing/x", "notes", "d/f.txt"] {
            errno = 1234
            _ = resolvePlain(tree.path(name))
            #expect(errno == 1234, "\(name)")
        }
    }

    @Test func refusesRelativeAndOversizedInput() {
        #expect(resolvePlain("relative/x").0 == Int32(AFW_E_INVALID))
        var small = [CChar](repeating: 0, count: 4)
        var exists = false
        #expect(afw_path_resolve_plain("/etc/hostname", true, &small, small.count, &exists) == Int32(AFW_E_TOO_LONG))
        #expect(afw_path_resolve_plain(nil, true, &small, small.count, &exists) == Int32(AFW_E_INVALID))
        #expect(afw_path_resolve_plain("/etc/hostname", true, &small, small.count, nil) == Int32(AFW_E_INVALID))
    }
}
