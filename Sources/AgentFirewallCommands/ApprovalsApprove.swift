import ArgumentParser

struct ApprovalsApprove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Allow the call that review ID paused (and any duplicate of it).",
        discussion: "Exit status 1 when review ID is not pending (answered, timed out) or the run cannot be reached."
    )

    @Argument(help: "The review's ID, as `agentfirewall approvals list` shows it.")
    var id: Int

    @Option(name: .customLong("run"), help: ArgumentHelp("The run the review belongs to; needed only when several runs have a review ID.", valueName: "run"))
    var runName: String?

    @Flag(help: "Allow the same rule and subject for the rest of the run, without asking again.")
    var forRun = false

    func run() throws {
        try ApprovalsCommand.answer(id, forRun ? .allowForRun : .allowOnce, run: runName)
    }
}
