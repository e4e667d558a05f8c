import AgentFirewallPolicy
import AgentFirewallSupervisor
import Dispatch
import Glibc
import Synchronization
import Testing

/// What the replies of a test's reviews received, in order.
final class Replies: Sendable {
    private let received = Mutex<[ReviewResolution]>([])

    var all: [ReviewResolution] { received.withLock { $0 } }

    func reply(_ resolution: ReviewResolution) {
        received.withLock { $0.append(resolution) }
    }
}

func reviewRequest(subject: String = "127.0.0.3:443", rule: String? = "net.review", pid: Int32 = 42) -> ReviewRequest {
    ReviewRequest(
        surface: .network, subject: subject, operation: "connect", process: ProcessLink(pid: pid, executable: "/usr/bin/curl"),
        parents: [ProcessLink(pid: 41, executable: "/bin/bash")], ruleID: rule, reason: "Network needs a human.")
}

struct PendingReviewsTests {
    static let second: UInt64 = 1_000_000_000

    @Test(arguments: [ApproveMode.deny, .allow])
    func anUnattendedModeAnswersAtOnceWithoutAskingAnyone(mode: ApproveMode) throws {
        let reviews = try PendingReviews(approve: mode, timeoutSeconds: 60)
        let replies = Replies()
        reviews.submit(reviewRequest(), now: 0, reply: replies.reply)
        #expect(replies.all == [ReviewResolution(outcome: mode == .allow ? .allow : .block, answeredBy: "--approve \(mode.rawValue)")])
        #expect(reviews.pending.isEmpty)
    }

    @Test func askWaitsForAnAnswerAndRecordsWhoGaveItAndHowLongTheCallWaited() throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 60)
        let replies = Replies()
        reviews.submit(reviewRequest(), now: 5 * Self.second, reply: replies.reply)
        #expect(replies.all.isEmpty)
        let pending = try #require(reviews.pending.first)
        #expect(pending.id == 1)
        #expect(pending.request == reviewRequest())
        #expect(pending.deadlineNanoseconds == 65 * Self.second)

        #expect(reviews.answer(1, with: .allowOnce, by: "terminal", now: 7 * Self.second))
        #expect(replies.all == [ReviewResolution(outcome: .allow, answeredBy: "terminal", reviewID: 1, waitedNanoseconds: 2 * Self.second)])
        #expect(reviews.pending.isEmpty)
        #expect(reviews.resolution(of: 1)?.answeredBy == "terminal")
        // Answered once only: a second reviewer is told it is too late.
        #expect(!reviews.answer(1, with: .denyOnce, by: "socket"))
        #expect(replies.all.count == 1)
    }

    @Test func aDuplicateWaitsForThePendingQuestionInsteadOfAskingAgain() throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 60)
        let replies = Replies()
        reviews.submit(reviewRequest(pid: 42), now: 0, reply: replies.reply)
        reviews.submit(reviewRequest(pid: 43), now: Self.second, reply: replies.reply)
        reviews.submit(reviewRequest(subject: "127.0.0.3:80"), now: Self.second, reply: replies.reply)
        #expect(reviews.pending.map(\.id) == [1, 2])
        #expect(reviews.pending.map(\.waitingCalls) == [2, 1])

        reviews.answer(1, with: .denyOnce, by: "terminal", now: 3 * Self.second)
        #expect(replies.all.map(\.outcome) == [.block, .block])
        #expect(replies.all.map(\.waitedNanoseconds) == [3 * Self.second, 2 * Self.second])
        #expect(reviews.pending.map(\.id) == [2])
        // "Once": the same question asked again is asked again.
        reviews.submit(reviewRequest(), now: 4 * Self.second, reply: replies.reply)
        #expect(reviews.pending.map(\.id) == [2, 3])
    }

    @Test(arguments: [PendingReviews.Answer.allowForRun, .denyForRun])
    func anAnswerForTheRunAnswersTheSameRuleAndSubjectFromThenOn(answer: PendingReviews.Answer) throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 60)
        let replies = Replies()
        reviews.submit(reviewRequest(), now: 0, reply: replies.reply)
        reviews.answer(1, with: answer, by: "terminal", now: Self.second)
        #expect(replies.all.first?.answeredBy == "terminal, for this run")

        reviews.submit(reviewRequest(pid: 99), now: 2 * Self.second, reply: replies.reply)
        #expect(replies.all.count == 2)
        #expect(replies.all.last?.outcome == answer.outcome)
        #expect(replies.all.last?.answeredBy == "terminal, for this run (review 1)")
        // Another subject, or the same subject under another rule, is still a question.
        reviews.submit(reviewRequest(subject: "127.0.0.3:80"), now: 2 * Self.second, reply: replies.reply)
        reviews.submit(reviewRequest(rule: "net.other"), now: 2 * Self.second, reply: replies.reply)
        #expect(reviews.pending.count == 2)
        #expect(replies.all.count == 2)
    }

    @Test func anAnswerGivenAheadAnswersTheNextSameReviewOnly() throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 60)
        let replies = Replies()
        let ahead = ReviewResolution(outcome: .allow, answeredBy: "terminal", reviewID: 1)
        reviews.answerAhead(reviewRequest(), with: ahead)
        reviews.submit(reviewRequest(subject: "127.0.0.3:80"), now: 0, reply: replies.reply)
        reviews.submit(reviewRequest(), now: 0, reply: replies.reply)
        #expect(replies.all == [ahead])
        reviews.submit(reviewRequest(), now: 0, reply: replies.reply)
        #expect(replies.all.count == 1)
        #expect(reviews.pending.count == 2)
    }

    @Test func aReviewNobodyAnswersIsDeniedAtItsDeadline() throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 1.5)
        let replies = Replies()
        reviews.submit(reviewRequest(), now: 0, reply: replies.reply)
        reviews.submit(reviewRequest(subject: "127.0.0.3:80"), now: Self.second, reply: replies.reply)
        #expect(reviews.expire(now: Self.second) == 3 * Self.second / 2)
        #expect(replies.all.isEmpty)

        #expect(reviews.expire(now: 3 * Self.second / 2) == 5 * Self.second / 2)
        #expect(replies.all == [ReviewResolution(
            outcome: .block, answeredBy: "timeout after 1.5 s (--approval-timeout)", reviewID: 1,
            waitedNanoseconds: 3 * Self.second / 2)])
        #expect(reviews.pending.map(\.id) == [2])
        #expect(reviews.expire(now: 3 * Self.second) == nil)
        #expect(reviews.pending.isEmpty)
    }

    @Test func callsWhoseCallersEndedAreDeniedAndAReviewNobodyWaitsForIsDropped() throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 60)
        let replies = Replies()
        let alive = Mutex([true, true, true])
        for caller in 0..<2 {
            reviews.submit(reviewRequest(pid: Int32(caller)), now: 0, stillWaiting: { alive.withLock { $0[caller] } },
                           reply: replies.reply)
        }
        reviews.submit(reviewRequest(subject: "127.0.0.3:80"), now: 0, stillWaiting: { alive.withLock { $0[2] } },
                       reply: replies.reply)
        #expect(reviews.dropAbandoned(now: Self.second) == 0)
        #expect(replies.all.isEmpty)

        // One of two duplicates gone: the review stays for the other.
        alive.withLock { $0[0] = false }
        #expect(reviews.dropAbandoned(now: Self.second) == 0)
        #expect(replies.all.map(\.answeredBy) == ["nobody: the caller ended before an answer"])
        #expect(reviews.pending.map(\.waitingCalls) == [1, 1])

        alive.withLock { $0[1] = false }
        #expect(reviews.dropAbandoned(now: 2 * Self.second) == 1)
        #expect(replies.all.count == 2)
        #expect(replies.all.last?.waitedNanoseconds == 2 * Self.second)
        #expect(reviews.pending.map(\.id) == [2])
        #expect(reviews.resolution(of: 1)?.answeredBy == "nobody: the caller ended before an answer")
    }

    @Test func anEnormousTimeoutMeansNeverAndDoesNotOverflow() throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 1e300)
        reviews.submit(reviewRequest(), now: 5 * Self.second, reply: { _ in })
        #expect(reviews.expire(now: 6 * Self.second) == 5 * Self.second + 1_000_000_000 * Self.second)
    }

    @Test func anInterruptDeniesWhatIsPendingAndEverythingAfter() throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 60)
        let replies = Replies()
        // Nothing pending: an interrupt is none of the reviews' business.
        #expect(reviews.interrupt("interrupted") == 0)
        reviews.submit(reviewRequest(), now: 0, reply: replies.reply)
        #expect(reviews.pending.count == 1)

        #expect(reviews.interrupt("interrupted") == 1)
        #expect(replies.all.map(\.answeredBy) == ["interrupted"])
        reviews.submit(reviewRequest(subject: "127.0.0.3:80"), now: 0, reply: replies.reply)
        #expect(replies.all.map(\.outcome) == [.block, .block])
        #expect(reviews.pending.isEmpty)
    }

    @Test func closingTheRunDeniesEveryPendingReview() throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 60)
        let replies = Replies()
        reviews.submit(reviewRequest(), now: 0, reply: replies.reply)
        reviews.submit(reviewRequest(subject: "127.0.0.3:80"), now: 0, reply: replies.reply)
        #expect(reviews.close("the run ended") == 2)
        #expect(replies.all.map(\.answeredBy) == ["the run ended", "the run ended"])
        #expect(replies.all.map(\.reviewID) == [1, 2])
    }

    @Test func theChangeDescriptorWakesAPollerWhenTheQueueChanges() throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 60)
        func readable() -> Bool {
            var descriptor = pollfd(fd: reviews.changeDescriptor, events: Int16(POLLIN), revents: 0)
            return poll(&descriptor, 1, 0) == 1
        }
        #expect(!readable())
        reviews.submit(reviewRequest(), reply: { _ in })
        #expect(readable())
        reviews.acknowledgeChanges()
        #expect(!readable())
        reviews.answer(1, with: .allowOnce, by: "test")
        #expect(readable())
    }

    @Test func repliesComeFromWhicheverThreadAnswers() throws {
        let reviews = try PendingReviews(approve: .ask, timeoutSeconds: 60)
        let replies = Replies()
        DispatchQueue.concurrentPerform(iterations: 8) { index in
            reviews.submit(reviewRequest(subject: "127.0.0.3:\(index % 2)"), reply: replies.reply)
        }
        #expect(reviews.pending.map(\.waitingCalls).reduce(0, +) == 8)
        for review in reviews.pending {
            reviews.answer(review.id, with: .allowOnce, by: "test")
        }
        #expect(replies.all.count == 8)
    }
}
