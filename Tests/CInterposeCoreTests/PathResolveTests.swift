import CInterposeCore
import Foundation
import Glibc
import Testing

/// Real directories and symlinks: the point of afw_path_resolve is to agree with the kernel.
final class TemporaryTree {
    let root: String

    init() throws {
        var template = Array((NSTemporaryDirectory() + "afw-paths.XXXXXX").utf8CString)
        guard let created = mkdtemp(&template) else { throw POSIXError(.EIO) }
        // Resolved: /tmp itself may be a symlink, and resolved paths are what we compare.
        root = URL(fileURLWithPath: String(cString: created)).resolvingSymlinksInPath().path
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func path(_ name: String) -> String { root + "/" + name }

    func file(_ name: String) {
        FileManager.default.createFile(atPath: path(name), contents: Data("x\n".utf8))
    }

    func directory(_ name: String) throws {
        try FileManager.default.createDirectory(atPath: path(name), withIntermediateDirectories: true)
    }

    func link(_ name: String, to target: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path(name), withDestinationPath: target)
    }
}

func absolute(_ dirfd: Int32, _ path: String, size: Int = Int(PATH_MAX)) -> (Int32, String) {
    var out = [CChar](repeating: 0, count: size)
    let status = afw_path_absolute(dirfd, path, &out, out.count)
    return (status, status == 0 ? String(cString: out) : "")
}

func resolve(_ path: String, followLast: Bool = true, size: Int = Int(PATH_MAX)) -> (Int32, String) {
    var out = [CChar](repeating: 0, count: size)
    let status = afw_path_resolve(path, followLast, &out, out.count)
    return (status, status == 0 ? String(cString: out) : "")
}

@Suite struct PathResolveTests {
    @Test func aRelativePathStartsAtTheWorkingDirectory() throws {
        let cwd = FileManager.default.currentDirectoryPath
        let expected = cwd == "/" ? "/notes.txt" : cwd + "/notes.txt"
        #expect(absolute(AT_FDCWD, "./sub/../notes.txt") == (0, expected))
    }

    @Test func anAbsolutePathIsOnlyNormalised() {
        #expect(absolute(AT_FDCWD, "/a/./b/../c//d") == (0, "/a/c/d"))
        #expect(absolute(12345, "/etc/passwd") == (0, "/etc/passwd"))
    }

    @Test func aDirectoryDescriptorIsTheBase() throws {
        let tree = try TemporaryTree()
        try tree.directory("project")
        let fd = open(tree.path("project"), O_DIRECTORY | O_RDONLY)
        defer { close(fd) }
        #expect(absolute(fd, "src/../.env") == (0, tree.path("project/.env")))
        #expect(absolute(fd, "") == (0, tree.path("project")))
    }

    @Test func aDescriptorThatNamesNoPathIsRefused() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        #expect(absolute(fd, "x").0 == Int32(AFW_E_INVALID))
        #expect(absolute(-7, "x").0 == Int32(AFW_E_INVALID))
        #expect(afw_path_absolute(AT_FDCWD, nil, nil, 0) == Int32(AFW_E_INVALID))
    }

    @Test func aSymlinkToTheSecretResolvesToTheSecret() throws {
        let tree = try TemporaryTree()
        tree.file(".env")
        try tree.link("innocent.txt", to: ".env")
        #expect(resolve(tree.path("innocent.txt")) == (0, tree.path(".env")))
        // O_NOFOLLOW opens the link itself.
        #expect(resolve(tree.path("innocent.txt"), followLast: false) == (0, tree.path("innocent.txt")))
    }

    @Test func dotDotAfterASymlinkGoesWhereTheKernelGoes() throws {
        let tree = try TemporaryTree()
        try tree.directory("elsewhere/deep")
        tree.file("elsewhere/.env")
        try tree.link("shortcut", to: tree.path("elsewhere/deep"))
        // Lexically this would be <root>/.env, which does not exist; the kernel opens
        // elsewhere/.env.
        #expect(resolve(tree.path("shortcut") + "/../.env") == (0, tree.path("elsewhere/.env")))
    }

    @Test func procMagicLinksAreFollowed() throws {
        let tree = try TemporaryTree()
        tree.file(".env")
        let fd = open(tree.root, O_DIRECTORY | O_RDONLY)
        defer { close(fd) }
        #expect(resolve("/proc/self/fd/\(fd)/.env") == (0, tree.path(".env")))
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).resolvingSymlinksInPath().path
        #expect(resolve("/proc/self/cwd") == (0, cwd))
    }

    @Test func aFileAboutToBeCreatedResolvesThroughItsParent() throws {
        let tree = try TemporaryTree()
        try tree.directory("real")
        try tree.link("alias", to: "real")
        #expect(resolve(tree.path("alias/new.txt")) == (0, tree.path("real/new.txt")))
        // Several missing components: the existing prefix is resolved, the rest appended.
        #expect(resolve(tree.path("alias/a/b/c.txt")) == (0, tree.path("real/a/b/c.txt")))
        #expect(resolve(tree.path("alias/new.txt"), followLast: false) == (0, tree.path("real/new.txt")))
    }

    @Test func aDanglingSymlinkIsFollowedToWhatCreatingWouldMake() throws {
        let tree = try TemporaryTree()
        try tree.directory("secrets")
        try tree.link("drop", to: "secrets/.env")
        // open("drop", O_CREAT) creates secrets/.env.
        #expect(resolve(tree.path("drop")) == (0, tree.path("secrets/.env")))
        #expect(resolve(tree.path("drop"), followLast: false) == (0, tree.path("drop")))
    }

    @Test func aSymlinkLoopIsAnError() throws {
        let tree = try TemporaryTree()
        try tree.link("a", to: "b")
        try tree.link("b", to: "a")
        #expect(resolve(tree.path("a")).0 == Int32(AFW_E_SYS))
    }

    @Test func resultsThatDoNotFitAreRefused() throws {
        let tree = try TemporaryTree()
        tree.file("file.txt")
        #expect(resolve(tree.path("file.txt"), size: 8).0 == Int32(AFW_E_TOO_LONG))
        #expect(absolute(AT_FDCWD, "/" + String(repeating: "a", count: 100), size: 16).0 == Int32(AFW_E_TOO_LONG))
        let longComponent = tree.root + "/" + String(repeating: "n", count: 300)
        #expect(resolve(longComponent).0 == Int32(AFW_E_TOO_LONG))
        #expect(resolve("relative/path").0 == Int32(AFW_E_INVALID))
    }
}
