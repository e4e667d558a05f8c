import AgentFirewallPolicy
import Foundation
import Testing

@Suite struct PolicyContextTests {
    private func paths(_ globs: String, _ context: PolicyContext) throws -> [String] {
        let yaml = "version: 1\nrules:\n  - {id: r, surface: file, action: block, match: {path: \(globs)}}\n"
        return try Policy.parse(yaml: yaml, path: "t.yaml", context: context).rules[0].match.paths
    }

    @Test func currentIsTheProcessHomeAndDirectory() {
        let current = PolicyContext.current()
        #expect(current.home.hasPrefix("/"))
        #expect(current.workingDirectory == FileManager.default.currentDirectoryPath)
        if let home = ProcessInfo.processInfo.environment["HOME"], home.hasPrefix("/") {
            #expect(current.home == home)
        }
    }

    @Test func aRootHomeOrDirectoryDoesNotDoubleTheSlash() throws {
        let root = PolicyContext(home: "/", workingDirectory: "/")
        #expect(try paths(#"["~", "~/x", ".", "./y"]"#, root) == ["/", "/x", "/", "/y"])
        let trailing = PolicyContext(home: "/home/dev/", workingDirectory: "/w/")
        #expect(try paths(#"["~/x", "./y"]"#, trailing) == ["/home/dev/x", "/w/y"])
    }

    @Test func globCharactersInTheHomeAreEscaped() throws {
        let odd = PolicyContext(home: "/home/a[1]*", workingDirectory: "/w?")
        #expect(try paths(#"["~/.ssh/*", "./x"]"#, odd) == [#"/home/a\[1\]\*/.ssh/*"#, #"/w\?/x"#])
        let yaml = "version: 1\nrules:\n  - {id: r, surface: file, action: block, match: {path: [\"~/.ssh/*\"]}}\n"
        let engine = Engine(CompiledPolicy(try Policy.parse(yaml: yaml, path: "t.yaml", context: odd)))
        #expect(engine.decide(file("/home/a[1]*/.ssh/id_rsa")).ruleID == "r")
        #expect(engine.decide(file("/home/a1xyz/.ssh/id_rsa")).ruleID == nil)
    }

    @Test func examplePathsAreExpandedButNotEscaped() {
        let odd = PolicyContext(home: "/home/a[1]", workingDirectory: "/w")
        let yaml = "version: 1\nrules:\n  - {id: r, surface: file, action: block, match: {path: [\"~/k\"]}, examples: {match: [\"~/k\"]}}\n"
        #expect(throws: Never.self) { try Policy.parse(yaml: yaml, path: "t.yaml", context: odd) }
    }
}
