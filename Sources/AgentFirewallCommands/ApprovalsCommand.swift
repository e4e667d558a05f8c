import AgentFirewallOS
import AgentFirewallSupervisor
import ArgumentParser

/// `agentfirewall approvals ...`: the reviews that runs of this user are waiting on.
struct ApprovalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approvals",
        abstract: "List and answer the reviews that running agents wait on.",
        discussion: """
            A run started with --approve ask (the default at a terminal) pauses each call whose \
            decision is `review` until someone answers. These commands answer from another \
            terminal, through each run's control socket in $XDG_RUNTIME_DIR/agentfirewall/RUN/ \
            (or /tmp/agentfirewall-UID/RUN/). RUN is the supervisor's pid.
            """,
        subcommands: [ApprovalsList.self, ApprovalsApprove.self, ApprovalsDeny.self],
        defaultSubcommand: ApprovalsList.self
    )

    /// Exit status when the review is not pending (answered, timed out, never asked) or no
    /// run could be reached.
    static let notPendingStatus: Int32 = 1

    /// The runs to talk to: `run` when given, else every run of the user that answers.
    static func clients(run: String?) throws -> [ApprovalsClient] {
        let user: String
        do {
            user = try ApprovalsDirectory.user(create: false)
        } catch {
            if run == nil { return [] }
            throw failure("no run of yours has a control socket (\(error.message))")
        }
        if let run {
            do {
                return [try ApprovalsClient(run: run, in: user)]
            } catch {
                throw failure(error.message)
            }
        }
        // A directory whose socket nobody listens on is a run that was killed: skipped.
        return ApprovalsDirectory.runs(in: user).compactMap { try? ApprovalsClient(run: $0, in: user) }
    }

    /// Answers review `id`: in `run`, or in the one run where it is pending.
    static func answer(_ id: Int, _ answer: PendingReviews.Answer, run: String?) throws {
        let candidates = try clients(run: run)
        let holders = try candidates.filter { client in
            let reply = try request(client, ["op": "list"])
            return (reply["reviews"] as? [[String: Any]] ?? []).contains { ($0["id"] as? Int) == id }
        }
        guard let holder = holders.first else {
            throw failure("no review \(id) is pending" + (run.map { " in run \($0)" } ?? " in any run of yours")
                + "; `agentfirewall approvals list` shows those that are")
        }
        guard holders.count == 1 else {
            throw failure("review \(id) is pending in runs \(holders.map(\.run).joined(separator: ", ")); say which with --run RUN")
        }
        let reply = try request(holder, ["op": "answer", "id": id, "answer": answer.rawValue, "reviewer": "agentfirewall approvals"])
        if let error = reply["error"] as? String { throw failure(error) }
        print("review \(id) of run \(holder.run): \(reply["outcome"] as? String == "allow" ? "allowed" : "denied")")
    }

    static func request(_ client: ApprovalsClient, _ object: [String: Any]) throws -> [String: Any] {
        do {
            return try client.request(object)
        } catch {
            throw failure(error.message)
        }
    }

    static func failure(_ message: String) -> ExitCode {
        StandardError.writeLine("agentfirewall: \(message)")
        return ExitCode(notPendingStatus)
    }
}
