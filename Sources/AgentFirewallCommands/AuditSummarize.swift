import AgentFirewallAudit
import AgentFirewallOS
import ArgumentParser
import Glibc

struct AuditSummarize: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary",
        abstract: "Count an audit file's events by surface, decision and rule; list the most blocked subjects and the processes.",
        discussion: """
            Processes are shown as a tree by pid and parent pid, each with the programs it ran \
            and how many of its calls were recorded and blocked. Events the run dropped are \
            reported from the summary line. Exit status 0, or 2 when the audit file cannot be \
            used (AUDIT:LINE: error: ... on stderr).
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case text, json
    }

    @Argument(help: ArgumentHelp("An audit file written by `agentfirewall run --audit`.", valueName: "audit.jsonl"))
    var audit: String

    @Option(help: "text for people, json (one object) for machines.")
    var format: Format = .text

    func run() throws {
        do {
            let reader = try AuditReader(path: audit)
            var statistics = AuditStatistics()
            let ending = try reader.forEachEvent { event, _ in statistics.add(event) }
            switch format {
            case .text: AuditSummaryReport.text(statistics, ending: ending, audit: audit).forEach { print($0) }
            case .json: print(AuditSummaryReport.json(statistics, ending: ending))
            }
            fflush(nil)  // stdout before the warnings on stderr, so a terminal shows them in order
            ending.warnings.forEach(StandardError.writeLine)
        } catch {
            StandardError.writeLine(error.description)
            throw ExitCode(Replay.badFileStatus)
        }
    }
}
