import AgentFirewallPolicy
import AgentFirewallSupervisor
import Testing

struct ApprovalsProtocolTests {
    @Test func parsesTheThreeRequests() throws {
        #expect(try ApprovalsProtocol.parse(Array(#"{"op":"list"}"#.utf8)) == .list)
        #expect(try ApprovalsProtocol.parse(Array(#" {"op": "watch"} "#.utf8)) == .watch)
        #expect(try ApprovalsProtocol.parse(Array(#"{"op":"answer","id":3,"answer":"allow-run","reviewer":"bot"}"#.utf8))
            == .answer(id: 3, answer: .allowForRun, reviewer: "bot"))
        #expect(try ApprovalsProtocol.parse(Array(#"{"op":"answer","id":4,"answer":"deny-once"}"#.utf8))
            == .answer(id: 4, answer: .denyOnce, reviewer: nil))
    }

    @Test(arguments: [
        ("not json", "not JSON"),
        ("[1]", "a request is a JSON object"),
        (#"{"op":"approve"}"#, "\"op\" is one of list, watch, answer"),
        (#"{"op":"answer","answer":"allow-once"}"#, "needs \"id\""),
        (#"{"op":"answer","id":2.5,"answer":"allow-once"}"#, "needs \"id\""),
        (#"{"op":"answer","id":2,"answer":"yes"}"#, "one of allow-once, deny-once, allow-run, deny-run"),
        (#"{"op":"answer","id":2,"answer":"deny-once","reviewer":7}"#, "\"reviewer\" is a string"),
    ])
    func refusesWhatIsNotARequestSayingWhatToSend(line: String, message: String) {
        #expect {
            try ApprovalsProtocol.parse(Array(line.utf8))
        } throws: { error in
            (error as? ApprovalsProtocol.ProtocolError)?.description.contains(message) == true
        }
    }

    @Test func aReviewShowsWhatWhoWhichRuleAndTheTimeLeft() throws {
        let pending = PendingReviews.Pending(
            id: 7, request: reviewRequest(), askedNanoseconds: 1_000_000_000, deadlineNanoseconds: 61_000_000_000,
            waitingCalls: 2)
        let line = ApprovalsProtocol.line(ApprovalsProtocol.review(pending, run: "4242", now: 3_000_000_000))
        #expect(line.last == UInt8(ascii: "\n"))
        let object = try #require(ApprovalsProtocol.decode(line.dropLast()))
        #expect(object["id"] as? Int == 7)
        #expect(object["run"] as? String == "4242")
        #expect(object["surface"] as? String == "network")
        #expect(object["subject"] as? String == "127.0.0.3:443")
        #expect(object["pid"] as? Int == 42)
        #expect(object["exe"] as? String == "/usr/bin/curl")
        #expect((object["parents"] as? [[String: Any]])?.first?["exe"] as? String == "/bin/bash")
        #expect(object["rule"] as? String == "net.review")
        #expect(object["reason"] as? String == "Network needs a human.")
        #expect(object["waiting_calls"] as? Int == 2)
        #expect(object["waited_ms"] as? Int == 2000)
        #expect(object["timeout_ms"] as? Int == 58000)
    }
}
