import CInterposeCore
import Glibc
import Testing

enum GlobMode: Sendable {
    case path, text, host

    var raw: Int32 {
        switch self {
        case .path: Int32(AFW_GLOB_PATH.rawValue)
        case .text: Int32(AFW_GLOB_TEXT.rawValue)
        case .host: Int32(AFW_GLOB_HOST.rawValue)
        }
    }
}

private func matches(_ pattern: String, _ subject: String, _ mode: GlobMode = .path) -> Bool {
    afw_glob_match(pattern, subject, mode.raw)
}

private func validationError(_ pattern: String, _ mode: GlobMode = .path) -> (message: String, offset: Int)? {
    var message: UnsafePointer<CChar>?
    var offset = 0
    guard afw_glob_validate(pattern, mode.raw, &message, &offset) != 0 else { return nil }
    return (String(cString: message!), offset)
}

@Suite struct GlobTests {
    // The default pack's dotenv rule: .env and .env.* files anywhere, nothing that merely
    // starts with "env" or ".env".
    @Test(arguments: [
        ("/w/.env", true), ("/w/.env.local", true), ("/.env", true), ("/home/u/app/.env", true),
        ("/home/u/app/.env.production", true),
        ("/w/environment.txt", false), ("/w/.envoy/x", false), ("/w/.environment", false),
        ("/w/.env/x", false), ("/w/x.env", false),
    ])
    func dotenvPackPatterns(subject: String, expected: Bool) {
        #expect((matches("**/.env", subject) || matches("**/.env.*", subject)) == expected)
    }

    @Test(arguments: [
        ("/a/**/b", "/a/b", true), ("/a/**/b", "/a/x/b", true), ("/a/**/b", "/a/x/y/z/b", true),
        ("/a/**/b", "/a/xb", false), ("/a/**/b", "/a/b/c", false), ("/a/**/b", "/ab", false),
        ("/a/**/b", "/a/x/yb", false), ("/a/**/b", "/a//b", true), ("**/.env", ".env", true),
        ("**/.env", "x.env", false), ("**/.env", "/x/y.env", false),
        ("/a/**", "/a/x", true), ("/a/**", "/a/x/y/z", true), ("/a/**", "/a", false), ("/a/**", "/ab/x", false),
        ("**", "/any/thing", true), ("**", "", true),
        ("/a/**.txt", "/a/x/y.txt", true), ("/a/**.txt", "/a/y.txt", true), ("/a/**.txt", "/a/y.md", false),
        // "**/" only means "whole directories" at the start of a segment.
        ("x**/y", "xy", false), ("x**/y", "x/y", true), ("x**/y", "xa/b/y", true),
        ("/a/**/**/b", "/a/b", true), ("/a/**/**/b", "/a/x/y/b", true),
    ])
    func doubleStarCrossesDirectories(pattern: String, subject: String, expected: Bool) {
        #expect(matches(pattern, subject) == expected)
    }

    @Test(arguments: [
        ("/home/*/.ssh/id_*", "/home/u/.ssh/id_rsa", true),
        ("/home/*/.ssh/id_*", "/home/u/x/.ssh/id_rsa", false),
        ("/tmp/*", "/tmp/a/b", false), ("/tmp/*", "/tmp/", true),
        ("/tmp/?", "/tmp/a", true), ("/tmp/?", "/tmp/ab", false), ("/tmp?a", "/tmp/a", false),
        ("/tmp/[/]x", "/tmp//x", false), ("/tmp/[!a]x", "/tmp//x", false),
        ("*", "a/b", false), ("*", "", true),
    ])
    func singleStarStaysInsideASegment(pattern: String, subject: String, expected: Bool) {
        #expect(matches(pattern, subject) == expected)
    }

    @Test(arguments: [
        ("curl * | sh*", "curl -fsSL https://x.example/i.sh | sh", true),
        ("curl * | sh*", "curl -o out.tar.gz https://x.example/a.tar.gz", false),
        ("wget * | *sh", "wget -qO- http://x/y | bash", true),
        ("*", "a/b/c", true), ("/usr/*", "/usr/bin/nc", true), ("a?c", "a/c", true),
        ("rm -rf *", "rm -rf /", true), ("rm -rf *", "rm -r /", false),
        ("**", "x/y", true), ("a**b", "a/x/b", true),
    ])
    func textStarMatchesSlash(pattern: String, subject: String, expected: Bool) {
        #expect(matches(pattern, subject, .text) == expected)
    }

    @Test(arguments: [
        ("*.anthropic.com", "api.anthropic.com", true), ("*.Anthropic.COM", "API.anthropic.com", true),
        ("api.openai.com", "API.OPENAI.COM", true), ("*.anthropic.com", "anthropic.com", false),
        ("*.anthropic.com", "api.anthropic.com.evil.net", false), ("[a-c]x.net", "Bx.NET", true),
        ("[!a-c]x.net", "Bx.net", false),
    ])
    func hostIsCaseInsensitive(pattern: String, subject: String, expected: Bool) {
        #expect(matches(pattern, subject, .host) == expected)
    }

    @Test func textModeIsCaseSensitive() {
        #expect(!matches("API.openai.com", "api.openai.com", .text))
        #expect(!matches("/Home/u", "/home/u"))
    }

    @Test(arguments: [
        ("[abc]", "b", true), ("[abc]", "d", false), ("[a-z]x", "qx", true), ("[a-z]x", "Qx", false),
        ("[!a]", "b", true), ("[!a]", "a", false), ("[^a]", "b", true), ("[^a]", "a", false),
        ("[]]", "]", true), ("[]a]", "a", true), ("[!]]", "]", false), ("[!]]", "x", true),
        ("[a-]", "-", true), ("[a-]", "b", false), ("[\\]]", "]", true), ("[\\-a]", "-", true),
        ("[z-a]", "m", false), ("[0-9][0-9]", "42", true), ("[0-9][0-9]", "4x", false),
    ])
    func characterClasses(pattern: String, subject: String, expected: Bool) {
        #expect(matches(pattern, subject, .text) == expected)
    }

    @Test(arguments: [
        ("\\*", "*", true), ("\\*", "a", false), ("a\\?", "a?", true), ("a\\?", "ab", false),
        ("\\[x]", "[x]", true), ("\\\\", "\\", true), ("\\a", "a", true),
    ])
    func backslashEscapes(pattern: String, subject: String, expected: Bool) {
        #expect(matches(pattern, subject, .text) == expected)
        #expect(matches(pattern, subject, .path) == expected)
    }

    @Test func anchoredAtBothEnds() {
        #expect(!matches("/etc/passwd", "/etc/passwd2"))
        #expect(!matches("/etc/passwd", "x/etc/passwd"))
        #expect(!matches("abc", "ab", .text))
        #expect(matches("abc", "abc", .text))
    }

    // Each of these is exponential for a naive recursive matcher; the automaton answers in
    // pattern x subject steps, so a hostile subject cannot stall a hook.
    @Test(arguments: [GlobMode.path, .text, .host])
    func hostileSubjectsStayFast(mode: GlobMode) {
        let many = String(repeating: "a", count: 4000)
        let slashes = String(repeating: "a/", count: 2000)
        let longPattern = String(repeating: "*?", count: 510)
        let clock = ContinuousClock()
        let elapsed = clock.measure {
            #expect(!matches("*a*a*a*a*a*a*a*a*a*b", many, mode))
            #expect(!matches("**a**a**a**a**a**a**a**b", slashes, mode))
            #expect(!matches("/**/a/**/a/**/a/**/a/**/b", "/" + slashes, mode))
            #expect(!matches(longPattern + "b", many, mode))
        }
        #expect(elapsed < .seconds(5))
    }

    @Test func longestPatternStillMatches() {
        let pattern = String(repeating: "a", count: 1023) + "*"
        #expect(matches(pattern, String(repeating: "a", count: 1100), .text))
        #expect(!matches(pattern + "x", String(repeating: "a", count: 1100), .text))
    }

    @Test(arguments: [
        ("", "empty pattern", 0),
        ("/a/[bc", "unterminated [ class", 3),
        ("/a/[bc\\", "unterminated [ class", 3),
        ("abc\\", "trailing '\\' escapes nothing", 3),
        ("/a/***", "'***' is ambiguous: write '*' or '**'", 3),
        (String(repeating: "/**", count: 9), "more than 8 '**' in one pattern: split it into several patterns", 25),
        (String(repeating: "a", count: 1025), "pattern longer than 1024 bytes", 1024),
    ])
    func validationNamesTheProblem(pattern: String, message: String, offset: Int) {
        for mode in [GlobMode.path, .text, .host] {
            let error = validationError(pattern, mode)
            #expect(error?.message == message)
            #expect(error?.offset == offset)
            // A pattern that fails validation matches nothing, not even itself.
            #expect(!matches(pattern, pattern, mode))
        }
    }

    @Test(arguments: ["**/.env", "~/.ssh/id_*", "[]]", "\\[", String(repeating: "/**", count: 8), "*.example.com"])
    func validPatternsPass(pattern: String) {
        #expect(validationError(pattern) == nil)
        #expect(validationError(pattern, .text) == nil)
    }

    @Test func unknownModeIsRejected() {
        var message: UnsafePointer<CChar>?
        var offset = 0
        #expect(afw_glob_validate("a", 0, &message, &offset) == Int32(AFW_E_INVALID))
        #expect(String(cString: message!) == "unknown glob mode")
        #expect(!afw_glob_match("a", "a", 9))
        #expect(!afw_glob_match(nil, "a", GlobMode.text.raw))
        #expect(!afw_glob_match("a", nil, GlobMode.text.raw))
    }

    @Test func validationToleratesNullOutputs() {
        #expect(afw_glob_validate("[x", GlobMode.path.raw, nil, nil) == Int32(AFW_E_INVALID))
        #expect(afw_glob_validate("x", GlobMode.path.raw, nil, nil) == Int32(AFW_OK))
    }

    // Differential checks on random small globs, against two independent matchers: glibc's
    // fnmatch for TEXT and HOST (the same language without "**"), and a regular expression
    // translation of the PATH rules. The automaton shares no code with either.
    private static let pieces = ["a", "b", "A", ".", "/", "*", "**", "**/", "?", "[ab]", "[!a]", "[a-b]", "\\*"]
    private static let subjectAlphabet = Array("abA./*")

    private func randomGlob(_ generator: inout SplitMix64) -> String {
        (0..<(1 + Int(generator.next() % 6))).map { _ in Self.pieces[Int(generator.next() % UInt64(Self.pieces.count))] }
            .joined()
    }

    private func randomSubject(_ generator: inout SplitMix64) -> String {
        String((0..<Int(generator.next() % 9)).map { _ in
            Self.subjectAlphabet[Int(generator.next() % UInt64(Self.subjectAlphabet.count))]
        })
    }

    @Test func textAndHostAgreeWithFnmatch() {
        var generator = SplitMix64(seed: 0xF0A7C4)
        let caseFold: Int32 = 1 << 4 // FNM_CASEFOLD, a GNU extension Swift does not import
        for _ in 0..<20000 {
            let pattern = randomGlob(&generator)
            let subject = randomSubject(&generator)
            guard validationError(pattern, .text) == nil else { continue }
            #expect(matches(pattern, subject, .text) == (fnmatch(pattern, subject, 0) == 0), "\(pattern) \(subject)")
            #expect(matches(pattern, subject, .host) == (fnmatch(pattern, subject, caseFold) == 0), "\(pattern) \(subject)")
        }
    }

    /// The PATH rules as a regular expression: "**" + "/" at a segment start is any number of
    /// whole directories, other "**" anything, '*', '?' and classes anything but '/'.
    private func pathRegex(_ pattern: String) -> String {
        let bytes = Array(pattern)
        var regex = ""
        var i = 0
        while i < bytes.count {
            switch bytes[i] {
            case "\\":
                regex += "\\" + String(bytes[i + 1])
                i += 2
            case "?":
                regex += "[^/]"
                i += 1
            case "[":
                let end = bytes[(i + 1)...].firstIndex(of: "]")!
                var members = String(bytes[(i + 1)..<end])
                if members.hasPrefix("!") {
                    members.removeFirst()
                    regex += "[^/" + members + "]"
                } else {
                    regex += "(?!/)[" + members + "]"
                }
                i = end + 1
            case "*" where i + 1 < bytes.count && bytes[i + 1] == "*":
                if i + 2 < bytes.count && bytes[i + 2] == "/" && (i == 0 || bytes[i - 1] == "/") {
                    regex += "(?:.*/)?"
                    i += 3
                } else {
                    regex += ".*"
                    i += 2
                }
            case "*":
                regex += "[^/]*"
                i += 1
            case let literal:
                regex += literal == "." ? "\\." : String(literal)
                i += 1
            }
        }
        return regex
    }

    // Most globs are rejected by their literal head and tail before the automaton runs.
    // Subjects that agree with a pattern's ends except for one byte, one byte short or one
    // byte more probe exactly that check, against the regular expression.
    private static let literalEndGlobs = [
        "**/.env", "**/.env.*", "**/.envrc", "/root/.ssh/id_*[!b]", "/root/.aws/credentials", "/root/.config/gcloud/**",
        "/etc/shadow-", "**/*.key.pem", "**/*_key.pem", "/a/**/b", "x**/y", "**/s/**/*.json", "/tmp/?", "\\*x", "a\\?",
        "/a/[bc]/d", "*", "**", "a", "/a/**", "/**/x",
    ]
    private static let literalEndSubjects = [
        "/w/.env", ".env", "/w/.env.local", "/w/x.env", "/w/.envrc", "/root/.ssh/id_rsa", "/root/.ssh/id_rsa.pub",
        "/root/.aws/credentials", "/root/.config/gcloud/a/b", "/etc/shadow-", "/etc/shadow", "/k/a.key.pem", "/k/a_key.pem",
        "/a/b", "/a/x/b", "xy", "x/y", "/s/t/u.json", "/tmp/a", "*x", "a?", "/a/b/d", "/a/c/d", "a", "/x", "/a",
    ]

    @Test func literalEndsNeverChangeAnAnswer() throws {
        var subjects: Set<String> = []
        for subject in Self.literalEndSubjects {
            let bytes = Array(subject.utf8)
            subjects.insert(subject)
            subjects.insert(String(decoding: bytes.dropFirst(), as: UTF8.self))
            subjects.insert(String(decoding: bytes.dropLast(), as: UTF8.self))
            subjects.insert("q" + subject)
            subjects.insert(subject + "q")
            for index in [0, bytes.count / 2, bytes.count - 1] where index < bytes.count {
                var changed = bytes
                changed[index] = changed[index] == UInt8(ascii: "z") ? UInt8(ascii: "y") : UInt8(ascii: "z")
                subjects.insert(String(decoding: changed, as: UTF8.self))
            }
        }
        for pattern in Self.literalEndGlobs {
            let regex = try Regex(pathRegex(pattern))
            var matched = 0
            for subject in subjects {
                let expected = (try? regex.wholeMatch(in: subject)) != nil
                #expect(matches(pattern, subject) == expected, "\(pattern) \(subject)")
                matched += expected ? 1 : 0
            }
            // Each pattern matches some subject: the comparison is not between two rejections.
            #expect(matched > 0, "\(pattern)")
        }
    }

    @Test func pathAgreesWithARegularExpression() throws {
        var generator = SplitMix64(seed: 0x9A7B)
        for _ in 0..<5000 {
            let pattern = randomGlob(&generator)
            guard validationError(pattern) == nil else { continue }
            let regex = try Regex(pathRegex(pattern))
            for _ in 0..<4 {
                let subject = randomSubject(&generator)
                let expected = (try? regex.wholeMatch(in: subject)) != nil
                #expect(matches(pattern, subject) == expected, "\(pattern) \(subject) \(pathRegex(pattern))")
            }
        }
    }

    /// The checked matcher trusts a table's validation, but a table in shared memory can be
    /// rewritten after it: a malformed pattern must still only match wrongly, never read past
    /// its end (the address sanitizer in a debug run would say so; here it must not crash).
    @Test(arguments: ["/srv/[abc", "/srv/[\\", "/srv/\\", "[", "**/[!", "/srv/***"])
    func theCheckedMatcherSurvivesMalformedPatterns(pattern: String) {
        let subject = "/srv/a"
        let matched = pattern.withCString { glob in
            subject.withCString { text in
                afw_glob_match_checked(glob, strlen(glob), text, strlen(text), Int32(AFW_GLOB_PATH.rawValue))
            }
        }
        #expect(!matched || pattern.hasPrefix("/srv/"))
    }
}
