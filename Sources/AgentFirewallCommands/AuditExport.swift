import AgentFirewallAudit
import AgentFirewallOS
import ArgumentParser
import Glibc

struct AuditExport: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Print an audit file's events in an open schema for SIEM tools.",
        discussion: """
            --format ocsf prints one OCSF \(OCSFExport.schemaVersion) event per line: file events as \
            File System Activity (class 1001), execs as Process Activity (1007), connects as \
            Network Activity (4001); README lists every field. The summary line is not exported. \
            Exit status 0, or 2 when the audit file cannot be used.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case ocsf
    }

    @Argument(help: ArgumentHelp("An audit file written by `agentfirewall run --audit`.", valueName: "audit.jsonl"))
    var audit: String

    @Option(help: "The schema: ocsf.")
    var format: Format

    func run() throws {
        do {
            let reader = try AuditReader(path: audit)
            let ending = try reader.forEachEvent { event, _ in
                print(OCSFExport.event(event, productVersion: AgentFirewall.version))
            }
            fflush(nil)  // stdout before the warnings on stderr, so a terminal shows them in order
            ending.warnings.forEach(StandardError.writeLine)
        } catch {
            StandardError.writeLine(error.description)
            throw ExitCode(Replay.badFileStatus)
        }
    }
}
