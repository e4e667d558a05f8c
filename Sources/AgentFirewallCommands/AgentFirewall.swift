import ArgumentParser

/// The `agentfirewall` command: a group of the commands below.
public struct AgentFirewall: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "agentfirewall",
        abstract: "Run an AI agent (or any command) with its file, exec and network calls checked against a policy.",
        discussion: """
            The firewall preloads libagentfirewall-preload.so into COMMAND and every process it \
            starts; each open, exec and connect is decided by the policy, and blocked calls fail \
            with EACCES. Start with `agentfirewall run -- COMMAND`, and `agentfirewall policy show default` \
            to see what the default policy does.
            """,
        version: "agentfirewall \(version)",
        subcommands: [Run.self, Replay.self, ApprovalsCommand.self, AuditCommand.self, PolicyCommand.self, SeccompProfile.self]
    )

    public init() {}
}
