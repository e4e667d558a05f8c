import ArgumentParser

/// What `approvals approve` and `approvals deny` take: the review and how far the answer goes.
struct ApprovalsAnswerOptions: ParsableArguments {
    @Argument(help: "The review's ID, as `agentfirewall approvals list` shows it.")
    var id: Int

    @Option(name: .customLong("run"), help: ArgumentHelp("The run the review belongs to; needed only when several runs have a review ID.", valueName: "run"))
    var runName: String?

    @Flag(help: "Give the same answer to the same rule and subject for the rest of the run, without asking again.")
    var forRun = false
}
