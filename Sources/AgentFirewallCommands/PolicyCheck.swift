import AgentFirewallPolicy
import ArgumentParser

struct PolicyCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Load a policy and report the first error with its line and column.",
        discussion: "Exit status 0 when the policy loads, 78 when it does not."
    )

    @Argument(help: ArgumentHelp("A built-in pack name or a policy YAML file.", valueName: "name|path"))
    var policy: String

    func run() throws {
        let loaded = try PolicyCommand.load(policy)
        print("\(loaded.sourcePath): ok: policy \(loaded.name), \(loaded.rules.count) rules")
    }
}
