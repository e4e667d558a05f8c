import CInterposeCore
import Testing

private func lexical(_ base: String?, _ path: String, size: Int = 4096) -> (status: Int32, path: String) {
    var out = [CChar](repeating: 0x7F, count: size + 1)
    let status = afw_path_lexical(base, path, &out, size)
    // The byte past the buffer the function was given must stay untouched.
    #expect(out[size] == 0x7F)
    return (status, status == Int32(AFW_OK) ? out.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : "")
}

@Suite struct PathLexicalTests {
    @Test(arguments: [
        ("/home/u", "/etc/passwd", "/etc/passwd"),
        ("/home/u/app", ".env", "/home/u/app/.env"),
        ("/home/u/app", "../../u/.ssh/id_rsa", "/home/u/.ssh/id_rsa"),
        ("/", "/a/b/../../../c", "/c"),
        ("/", "/../../..", "/"),
        ("/a", "..", "/"),
        ("/a/b", "./c/./d/", "/a/b/c/d"),
        ("/a//b/", "c//d", "/a/b/c/d"),
        ("/a/b", "", "/a/b"),
        ("/", ".", "/"),
        ("/", "", "/"),
        ("/x/./y/../", "z", "/x/z"),
        ("/a", "...", "/a/..."),
        ("/a", "..b/.c", "/a/..b/.c"),
        ("/a/b/c", "../../..//../d", "/d"),
    ])
    func joinsAndCollapses(base: String, path: String, expected: String) {
        let result = lexical(base, path)
        #expect(result.status == Int32(AFW_OK))
        #expect(result.path == expected)
    }

    @Test func absolutePathIgnoresBase() {
        #expect(lexical(nil, "/a/../b").path == "/b")
        #expect(lexical("relative", "/a").path == "/a")
    }

    @Test func relativePathNeedsAnAbsoluteBase() {
        #expect(lexical(nil, "a").status == Int32(AFW_E_INVALID))
        #expect(lexical("relative/base", "a").status == Int32(AFW_E_INVALID))
        #expect(afw_path_lexical("/", nil, nil, 0) == Int32(AFW_E_INVALID))
    }

    @Test func reportsWhatDoesNotFit() {
        #expect(lexical("/", "/abc", size: 5).path == "/abc")
        #expect(lexical("/", "/abcd", size: 5).status == Int32(AFW_E_TOO_LONG))
        #expect(lexical("/", "/", size: 2).path == "/")
        #expect(lexical("/", "/", size: 1).status == Int32(AFW_E_TOO_LONG))
        // Long intermediate paths are fine when ".." brings the result back under the limit.
        #expect(lexical("/", "/abc/../d", size: 5).path == "/d")
        #expect(lexical("/", "/abcd/../e", size: 5).status == Int32(AFW_E_TOO_LONG))
    }

    @Test func handlesPathMaxInputs() {
        let deep = String(repeating: "/d", count: 2047)
        #expect(lexical("/", deep).path == deep)
        #expect(lexical("/", deep + "/x").status == Int32(AFW_E_TOO_LONG))
        let climbing = String(repeating: "../", count: 3000)
        #expect(lexical("/a/b", climbing + "c").path == "/c")
    }
}
