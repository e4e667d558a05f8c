import AgentFirewallPolicy
import Foundation
import Testing

/// Loading by name or path, and flattening `extends` chains.
@Suite struct PolicyLoadTests {
    private func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    private func rule(_ id: String, path: String, action: String = "block") -> String {
        "  - {id: \(id), surface: file, match: {path: [\"\(path)\"]}, action: \(action)}\n"
    }

    @Test func aNameIsABuiltinPackAndAnythingWithASlashOrSuffixIsAFile() throws {
        #expect(try Policy.load("strict", context: testContext).sourcePath == "builtin:strict")
        let error = #expect(throws: PolicyError.self) { try Policy.load("stritc", context: testContext) }
        #expect(error?.code == .unreadable)
        #expect(error?.description == "stritc:1:1: error: there is no built-in pack 'stritc' (the packs are default, strict); a file path needs a '/' or a .yaml suffix")
        let missing = #expect(throws: PolicyError.self) { try Policy.load("missing.yaml", context: testContext) }
        #expect(missing?.message == "cannot read policy file 'missing.yaml': no such file")
    }

    @Test func aDirectoryIsNotAPolicy() throws {
        try withTemporaryDirectory { directory in
            let error = #expect(throws: PolicyError.self) { try Policy.load(directory.path, context: testContext) }
            #expect(error?.message.hasSuffix("it is a directory") == true)
        }
    }

    @Test func extendsAPackByName() throws {
        let yaml = "version: 1\nname: mine\nextends: default\ndefaults: {network: block}\nrules:\n" + rule("mine.vault", path: "~/vault/**")
        let policy = try Policy.parse(yaml: yaml, path: "mine.yaml", context: testContext)
        let pack = try Policy.load("default", context: testContext)
        #expect(policy.name == "mine")
        #expect(policy.rules.map(\.id) == ["mine.vault"] + pack.rules.map(\.id))
        #expect(policy.defaults == [.file: .allow, .exec: .allow, .network: .block])
        #expect(policy.rules[1].location.path == "builtin:default")
    }

    @Test func extendsAPathRelativeToTheExtendingFile() throws {
        try withTemporaryDirectory { directory in
            try write("version: 1\ndefaults: {file: block, exec: review}\naudit: {allowed: count}\nrules:\n" + rule("base.x", path: "/x", action: "allow"),
                      to: directory.appending(path: "shared/base.yaml"))
            try write("version: 1\nextends: ../shared/base.yaml\ndefaults: {exec: allow}\nrules:\n" + rule("team.y", path: "/y"),
                      to: directory.appending(path: "team/policy.yaml"))
            let policy = try Policy.load(directory.appending(path: "team/policy.yaml").path, context: testContext)
            #expect(policy.name == "policy")
            #expect(policy.rules.map(\.id) == ["team.y", "base.x"])
            #expect(policy.defaults == [.file: .block, .exec: .allow, .network: .review])
            #expect(policy.auditAllowed == .count)
            #expect(policy.rules[1].location.path.hasSuffix("team/../shared/base.yaml"))
        }
    }

    @Test func aMissingParentIsReportedAtTheExtendsLine() throws {
        try withTemporaryDirectory { directory in
            let child = directory.appending(path: "child.yaml")
            try write("version: 1\nextends: ./nowhere.yaml\n", to: child)
            let error = #expect(throws: PolicyError.self) { try Policy.load(child.path, context: testContext) }
            #expect(error?.code == .extendsNotFound)
            #expect(error?.path == child.path)
            #expect(error?.line == 2 && error?.column == 10)
            #expect(error?.message.contains("nowhere.yaml': no such file") == true)
            #expect(loadError("version: 1\nextends: nopack\n")?.message.contains("no built-in pack 'nopack'") == true)
        }
    }

    @Test func aBuiltinPackCannotExtendAFile() {
        let error = loadError("version: 1\nextends: ./x.yaml\n", path: "builtin:custom")
        #expect(error?.code == .extendsNotFound)
        #expect(error?.message.contains("a built-in pack can only extend another built-in pack") == true)
    }

    @Test func cyclesAreErrors() throws {
        try withTemporaryDirectory { directory in
            let a = directory.appending(path: "a.yaml")
            try write("version: 1\nextends: ./b.yaml\n", to: a)
            try write("version: 1\nrules: []\nextends: ./sub/../a.yaml\n", to: directory.appending(path: "b.yaml"))
            let error = #expect(throws: PolicyError.self) { try Policy.load(a.path, context: testContext) }
            #expect(error?.code == .extendsCycle)
            #expect(error?.path == directory.appending(path: "b.yaml").path)
            #expect(error?.line == 3 && error?.column == 10)
            #expect(error?.message == "extends cycle: \(a.path) -> \(directory.path)/b.yaml -> \(directory.path)/sub/../a.yaml")

            let selfish = directory.appending(path: "self.yaml")
            try write("version: 1\nextends: self.yaml\n", to: selfish)
            let selfError = #expect(throws: PolicyError.self) { try Policy.load(selfish.path, context: testContext) }
            #expect(selfError?.code == .extendsCycle)
        }
    }

    @Test func aRuleWithAParentsIDReplacesTheParentsRule() throws {
        let yaml = "version: 1\nextends: default\nrules:\n" + rule("secrets.dotenv", path: "/x", action: "review")
        let policy = try Policy.parse(yaml: yaml, path: "test.yaml", context: testContext)
        let redefined = policy.rules.filter { $0.id == "secrets.dotenv" }
        #expect(redefined.count == 1)
        #expect(redefined.first?.action == .review)
        #expect(policy.rules.first?.id == "secrets.dotenv")
        // The rest of the pack is still there, after mine.
        #expect(policy.rules.count > 10)
    }

    /// SPEC.md's example policy extends default and redefines ids the pack has (the full
    /// example is parsed in PolicyParserTests; here, what `extends: default` does to it).
    @Test func redefiningSeveralPackRulesKeepsTheirNewMeaning() throws {
        let yaml = "version: 1\nextends: default\nrules:\n"
            + rule("secrets.dotenv", path: "**/.env")
            + "  - {id: net.loopback, surface: network, match: {address: [127.0.0.0/8]}, action: allow}\n"
        let engine = Engine(CompiledPolicy(try Policy.parse(yaml: yaml, path: "spec.yaml", context: testContext)))
        #expect(engine.decide(file("/home/dev/app/.env")).ruleID == "secrets.dotenv")
        #expect(engine.decide(connect("127.0.0.2", 80)).ruleID == "net.loopback")
        #expect(engine.decide(connect("127.0.0.2", 80)).action == .allow)
    }

    @Test func errorsInAParentNameTheParentFile() throws {
        try withTemporaryDirectory { directory in
            try write("version: 1\nrules:\n  - {id: Bad}\n", to: directory.appending(path: "base.yaml"))
            try write("version: 1\nextends: base.yaml\n", to: directory.appending(path: "child.yaml"))
            let error = #expect(throws: PolicyError.self) {
                try Policy.load(directory.appending(path: "child.yaml").path, context: testContext)
            }
            #expect(error?.path == directory.path + "/base.yaml")
            #expect(error?.code == .badID)
        }
    }
}
