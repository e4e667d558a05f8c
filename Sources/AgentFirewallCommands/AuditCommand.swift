import ArgumentParser

/// `agentfirewall audit ...`
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Summarise an audit file or export it for a SIEM.",
        subcommands: [AuditSummarize.self, AuditExport.self]
    )
}
