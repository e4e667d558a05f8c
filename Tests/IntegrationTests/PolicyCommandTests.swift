import Foundation
import Testing

/// `policy explain` and `policy test`: the same engine as `run`, asked about one call or a
/// file of cases, on this machine.
@Suite struct PolicyCommandTests {
    func policy(_ workspace: Workspace, _ arguments: [String]) throws -> Outcome {
        try Command.run(Build.firewall, ["policy"] + arguments, in: workspace.path, environment: workspace.environment)
    }

    @Test func explainNamesTheDecisionTheRuleAndWhereItIsWritten() throws {
        let workspace = try Workspace()
        let secret = try policy(workspace, ["explain", "policy.yaml", "--file", ".env"])
        #expect(secret.status == 1)
        #expect(secret.stdout == "file read \(workspace.file(".env")): block (rule test.secret at policy.yaml:5:9): the test secret\n")

        let notes = try policy(workspace, ["explain", "policy.yaml", "--file", "notes.txt", "--write"])
        #expect(notes.status == 0)
        #expect(notes.stdout == "file write \(workspace.file("notes.txt")): allow (no rule matched; the file default is allow)\n")

        let reviewed = try policy(workspace, ["explain", "policy.yaml", "--connect", "127.0.0.3:443"])
        #expect(reviewed.status == 2)
        #expect(reviewed.stdout.hasPrefix("network 127.0.0.3:443: review (rule test.reviewed-address"))

        let tool = try policy(workspace, ["explain", "policy.yaml", "--exec", "forbidden-tool", "--now"])
        #expect(tool.status == 1)
        #expect(tool.stdout.hasPrefix("exec forbidden-tool --now (program \(workspace.file("bin/forbidden-tool"))): block"))
    }

    /// As the shim does, explain resolves symlinks: a harmless name for the secret is the secret.
    @Test func explainSeesThroughSymlinks() throws {
        let workspace = try Workspace()
        #expect(symlink(".env", workspace.file("harmless.txt")) == 0)
        let outcome = try policy(workspace, ["explain", "policy.yaml", "--file", "harmless.txt"])
        #expect(outcome.status == 1)
        #expect(outcome.stdout.hasPrefix("file read \(workspace.file(".env")) (as \(workspace.file("harmless.txt"))): block"))
    }

    @Test func explainWantsExactlyOneCall() throws {
        let workspace = try Workspace()
        let outcome = try policy(workspace, ["explain", "policy.yaml", "--file", ".env", "--connect", "127.0.0.1:80"])
        #expect(outcome.status == 64)
        #expect(outcome.stderr.contains("exactly one of --file PATH, --exec ARGV... or --connect HOST:PORT"))
    }

    @Test func testReportsEachCaseThatGetsAnotherDecision() throws {
        let workspace = try Workspace()
        workspace.write("cases.yaml", """
            cases:
              - file: ./.env
                expect: block
              - file: ./notes.txt
                access: write
                expect: allow
              - exec: [sh, -c, "forbidden-tool | cat"]
                expect: block
              - connect: "127.0.0.2:80"
                expect: allow
              - connect: "[::1]:22"
                expect: allow

            """)
        let outcome = try policy(workspace, ["test", "policy.yaml", "cases.yaml"])
        #expect(outcome.status == 1, "\(outcome.stderr)")
        #expect(outcome.stdout == """
            cases.yaml:9:5: expected allow, got block (rule test.blocked-address at policy.yaml:15:9): the test's blocked address for network 127.0.0.2:80
            5 cases, 1 failed (policy integration)

            """)

        workspace.write("passing.yaml", "cases:\n  - file: ~/.config/some-file-nobody-blocks\n    expect: allow\n")
        let passing = try policy(workspace, ["test", "policy.yaml", "passing.yaml"])
        #expect(passing.status == 0)
        #expect(passing.stdout == "1 cases, all pass (policy integration)\n")
    }

    @Test func testRefusesABadCasesFileWithItsLineAndABadPolicyWith78() throws {
        let workspace = try Workspace()
        workspace.write("cases.yaml", "cases:\n  - file: ./x\n    expect: maybe\n")
        let badCases = try policy(workspace, ["test", "policy.yaml", "cases.yaml"])
        #expect(badCases.status == 2)
        #expect(badCases.stderr == "cases.yaml:3:13: error: unknown decision 'maybe'; expected allow, block, review or log\n")

        workspace.write("broken.yaml", "version: 1\nrules: [\n")
        let badPolicy = try policy(workspace, ["test", "broken.yaml", "cases.yaml"])
        #expect(badPolicy.status == 78)
        #expect(badPolicy.stderr.hasPrefix("broken.yaml:"))
    }
}
