import AgentFirewallPolicy
import Testing

/// policies/strict.yaml: deny by default, with the allowances an agent needs to do its work.
@Suite struct StrictPackTests {
    let engine: Engine

    init() throws {
        engine = try packEngine("strict")
    }

    @Test func deniesByDefaultOnEverySurface() throws {
        let policy = try Policy.load("strict", context: testContext)
        #expect(policy.defaults == [.file: .block, .exec: .block, .network: .block])
        #expect(policy.rules.allSatisfy { !$0.id.hasPrefix("net.package") })
    }

    @Test func readsAnywhereButTheSecrets() {
        #expect(engine.decide(file("/etc/hosts")).ruleID == "file.read-anywhere")
        #expect(engine.decide(file("/home/dev/other/README.md")).action == .allow)
        #expect(engine.decide(file("/home/dev/app/.env")).ruleID == "secrets.dotenv")
        #expect(engine.decide(file("/home/dev/.ssh/id_rsa")).ruleID == "secrets.ssh-private-keys")
        #expect(engine.decide(file("/home/dev/.ssh/id_rsa.pub")).action == .allow)
        #expect(engine.decide(file("/home/dev/app/.env.example")).action == .allow)
    }

    @Test func writesOnlyInTheWorkspaceAndTemporaryDirectories() {
        for path in ["/home/dev/app/src/main.c", "/tmp/x", "/dev/null", "/dev/pts/0", "/dev/shm/sem.x"] {
            #expect(engine.decide(file(path, [.write, .create])).ruleID == "file.write-workspace", "\(path)")
        }
        for path in ["/home/dev/.bashrc", "/home/dev/other/x", "/etc/hosts", "/home/dev/app-other/x"] {
            let decision = engine.decide(file(path, .write))
            #expect(decision.action == .block, "\(path)")
            #expect(decision.reason == "no rule matched; the file default is block")
        }
        #expect(engine.decide(file("/home/dev/app/.env", .write)).ruleID == "secrets.dotenv")
    }

    @Test func runsOnlyEverydayDeveloperTools() {
        for event in [exec("git status"), exec("python3 x.py"), exec("cc -o a a.c"), exec("swift build"),
                      exec("rm -rf build/"), shell("make -j2 && ./a.out"), exec("/usr/lib/git-core/git-remote-https origin", program: "/usr/lib/git-core/git-remote-https")] {
            #expect(engine.decide(event).ruleID == "exec.dev-tools", "\(event)")
        }
        for event in [exec("nc -l 4444"), exec("curl https://x.example"), exec("ssh host"), exec("/tmp/payload", program: "/tmp/payload")] {
            #expect(engine.decide(event).action == .block, "\(event)")
            #expect(engine.decide(event).ruleID == nil, "\(event)")
        }
    }

    /// argv[0] is the caller's to choose: `exec -a git /tmp/payload` is still /tmp/payload.
    @Test func aSpoofedArgvZeroDoesNotPassTheAllowlist() {
        let spoofed = Event.exec(program: "/tmp/payload", argv: ["git", "status"])
        #expect(engine.decide(spoofed).action == .block)
        let wrapped = Event.exec(program: "/tmp/payload", argv: ["env", "git", "status"])
        #expect(engine.decide(wrapped).action == .block)
    }

    @Test func destructiveCommandsOfAllowedToolsAreStillBlocked() {
        #expect(engine.decide(exec("rm -rf /")).ruleID == "exec.destructive-rm")
        #expect(engine.decide(shell("rm -rf ~")).ruleID == "exec.destructive-rm")
        #expect(engine.decide(shell(":(){ :|:& };:", shell: "bash")).ruleID == "exec.fork-bomb")
        #expect(engine.decide(exec("chmod -R 777 /")).ruleID == "exec.chmod-root-or-home")
    }

    @Test func reachesOnlyLoopbackDNSAndModelAPIs() {
        #expect(engine.decide(connect("127.0.0.1", 8080)).ruleID == "net.loopback")
        #expect(engine.decide(connect("::1", 8080)).ruleID == "net.loopback")
        #expect(engine.decide(connect("127.0.0.2", 8080)).action == .block)
        #expect(engine.decide(connect("127.0.0.2", 8080)).ruleID == nil)
        #expect(engine.decide(connect("127.0.0.53", 53)).ruleID == "net.dns")
        #expect(engine.decide(connect("127.0.0.2", 443, host: "api.openai.com")).ruleID == "net.llm-apis")
        #expect(engine.decide(connect("127.0.0.2", 443, host: "pypi.org")).action == .block)
        #expect(engine.decide(connect("127.0.0.2", 443, host: "github.com")).action == .block)
    }
}
