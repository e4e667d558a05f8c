import ArgumentParser

/// `agentfirewall policy ...`
struct PolicyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "policy",
        abstract: "Check policy files and show the built-in packs.",
        subcommands: [PolicyCheck.self, PolicyShow.self]
    )

    /// Exit status for a policy that does not load (sysexits' EX_CONFIG), for `run` as well.
    static let policyErrorStatus: Int32 = 78
}
