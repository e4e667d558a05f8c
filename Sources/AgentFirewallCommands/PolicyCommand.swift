import AgentFirewallOS
import AgentFirewallPolicy
import ArgumentParser

/// `agentfirewall policy ...`
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check, show, explain and test policies.",
        subcommands: [PolicyCheck.self, PolicyShow.self, PolicyExplain.self, PolicyTest.self]
    )

    /// Exit status for a policy that does not load (sysexits' EX_CONFIG), for `run` as well.
    static let policyErrorStatus: Int32 = 78

    /// Loads a policy for a command, or says why it does not load (`PATH:LINE:COLUMN: error:
    /// ...`) and exits 78: one answer to a bad policy for every command that takes one.
    static func load(_ nameOrPath: String, context: PolicyContext = .current()) throws -> Policy {
        do {
            return try Policy.load(nameOrPath, context: context)
        } catch {
            StandardError.writeLine(error.description)
            throw ExitCode(policyErrorStatus)
        }
    }
}
