import ArgumentParser

struct ApprovalsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Print the pending reviews, one per line.",
        discussion: """
            Each line, tab-separated: ID, run, surface, subject, rule, then the process that \
            asks (pid and executable) and how long it has waited. Nothing when nothing waits.
            """
    )

    @Option(name: .customLong("run"), help: ArgumentHelp("Only this run (the supervisor's pid).", valueName: "run"))
    var runName: String?

    func run() throws {
        for client in try ApprovalsCommand.clients(run: runName) {
            let reply = try ApprovalsCommand.request(client, ["op": "list"])
            for review in reply["reviews"] as? [[String: Any]] ?? [] {
                let fields: [String] = [
                    "\(review["id"] as? Int ?? 0)", client.run, review["surface"] as? String ?? "",
                    review["subject"] as? String ?? "", review["rule"] as? String ?? "(default)",
                    "pid \(review["pid"] as? Int ?? 0) \(review["exe"] as? String ?? "")",
                    "waiting \((review["waited_ms"] as? Int ?? 0) / 1000) s",
                ]
                print(fields.joined(separator: "\t"))
            }
        }
    }
}
