import AgentFirewallAudit
import AgentFirewallOS
import AgentFirewallPolicy
import ArgumentParser
import Glibc

struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-decide every event of an audit file under a policy and print the events whose decision changes.",
        discussion: """
            The policy is compiled for the working directory and home that the audit's summary \
            line records, so `./` and `~` in its globs mean what they meant in the run, and each \
            recorded event (the resolved and the requested path, the program and argv, the \
            address, port and resolved host) is decided by the same engine the run used. Replay \
            runs nothing and opens no file named in the audit.

            Each changed event is printed as `seq N SURFACE SUBJECT: OLD -> NEW (rule OLD -> NEW)`, \
            then a summary by rule; with --json, one JSON object per changed event and a \
            summary object last. Warnings (a cut-short last line, a run without a summary, \
            dropped or counted events) go to stderr.

            Exit status: 0 when no decision changes, 1 when one does, 2 when the audit file \
            cannot be used (AUDIT:LINE: error: ... on stderr), 78 when the policy does not load.
            """
    )

    static let changedStatus: Int32 = 1
    static let badFileStatus: Int32 = 2

    @Argument(help: ArgumentHelp("An audit file written by `agentfirewall run --audit`.", valueName: "audit.jsonl"))
    var audit: String

    @Option(help: ArgumentHelp("The policy to replay under: a built-in pack (default, strict) or a policy YAML file.", valueName: "name|path"))
    var policy: String

    @Flag(help: "Print the changes and the summary as JSON Lines.")
    var json = false

    func run() throws {
        do {
            let reader = try AuditReader(path: audit, decisionsOnly: true)
            let recordedSummary = try reader.runSummary()
            let context = recordedSummary?.context ?? PolicyContext.current()
            if recordedSummary == nil {
                StandardError.writeLine("\(audit): warning: no summary line records the run's cwd and home; the policy is compiled for the current ones (\(context.workingDirectory), \(context.home))")
            }
            let loaded = try PolicyCommand.load(policy, context: context)
            var replay = AuditReplay(engine: Engine(CompiledPolicy(loaded)))
            let ending = try reader.forEachEvent { event, line in
                if let change = replay.replay(event, line: line) {
                    print(json ? ReplayReport.json(change) : ReplayReport.text(change))
                }
            }
            let tally = replay.tally
            if json {
                print(ReplayReport.json(tally, policy: loaded.name, recordedPolicy: recordedSummary?.policyName))
            } else {
                ReplayReport.text(tally, audit: audit, policy: loaded.name, recordedPolicy: recordedSummary?.policyName)
                    .forEach { print($0) }
            }
            fflush(nil)  // stdout before the warnings on stderr, so a terminal shows them in order
            ending.warnings.forEach(StandardError.writeLine)
            if tally.changed > 0 { throw ExitCode(Replay.changedStatus) }
        } catch let error as AuditError {
            fflush(nil)  // the changes found before the bad line come first
            StandardError.writeLine(error.description)
            throw ExitCode(Replay.badFileStatus)
        }
    }
}
