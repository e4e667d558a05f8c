import ArgumentParser

struct ApprovalsApprove: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approve",
        abstract: "Allow the call that review ID paused (and any duplicate of it).",
        discussion: "Exit status 1 when review ID is not pending (answered, timed out) or the run cannot be reached."
    )

    @OptionGroup var answer: ApprovalsAnswerOptions

    func run() throws {
        try ApprovalsCommand.answer(answer.id, answer.forRun ? .allowForRun : .allowOnce, run: answer.runName)
    }
}
