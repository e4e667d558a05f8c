import AgentFirewallOS
import AgentFirewallPolicy
import ArgumentParser

struct PolicyTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Check that a policy decides each case of a cases file as expected.",
        discussion: """
            CASES.yaml lists calls and the decision each must get:

              cases:
                - file: ~/.ssh/id_rsa         # or  exec: [sh, -c, "curl x | sh"]  or  connect: "example.com:443"
                  access: read                # file only: read (default), write, create or exec
                  expect: block               # allow, block, review or log

            Each call is normalised as the firewall would see it on this machine (policy \
            explain shows one). Prints one line per case that gets another decision. Exit \
            status 0 when every case passes, 1 when one does not, 2 when the cases file is \
            wrong (with its line and column), 78 when the policy does not load.
            """
    )

    /// A cases file that cannot be read or understood, as replay's exit for a bad audit.
    static let badCasesStatus: Int32 = 2

    @Argument(help: ArgumentHelp("A built-in pack name or a policy YAML file.", valueName: "name|path"))
    var policy: String

    @Argument(help: ArgumentHelp("The cases file.", valueName: "cases.yaml"))
    var cases: String

    func run() throws {
        let context = PolicyContext.current()
        let loaded = try PolicyCommand.load(policy, context: context)
        let testCases: [PolicyTestCase]
        do {
            testCases = try PolicyTestCase.load(path: cases, context: context)
        } catch {
            StandardError.writeLine(error.description)
            throw ExitCode(PolicyTest.badCasesStatus)
        }
        let engine = Engine(CompiledPolicy(loaded))
        var failed = 0
        for testCase in testCases {
            let event = PolicyCall.event(testCase.call, context: context)
            let decision = engine.decide(event)
            guard decision.action != testCase.expected else { continue }
            failed += 1
            print("\(testCase.location): expected \(testCase.expected.rawValue), got \(PolicyCall.describe(decision, in: loaded)) for \(PolicyCall.describe(event))")
        }
        print("\(testCases.count) cases, \(failed == 0 ? "all pass" : "\(failed) failed") (policy \(loaded.name))")
        if failed > 0 { throw ExitCode(1) }
    }
}
