import ArgumentParser

struct ApprovalsDeny: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deny",
        abstract: "Deny the call that review ID paused (it fails with EACCES), and any duplicate of it.",
        discussion: "Exit status 1 when review ID is not pending (answered, timed out) or the run cannot be reached."
    )

    @OptionGroup var answer: ApprovalsAnswerOptions

    func run() throws {
        try ApprovalsCommand.answer(answer.id, answer.forRun ? .denyForRun : .denyOnce, run: answer.runName)
    }
}
