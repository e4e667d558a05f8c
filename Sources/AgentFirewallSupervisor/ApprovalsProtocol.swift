import AgentFirewallOS
import Foundation

/// The JSON-lines protocol of a run's control socket (README: "Reviewing from another
/// terminal or a program"). A client writes one request object per line and reads one
/// object per line back; a line that is not a request gets `{"error": ...}` and the
/// connection stays usable.
public enum ApprovalsProtocol {
    public enum Request: Equatable, Sendable {
        /// `{"op":"list"}`: one reply, `{"reviews":[REVIEW...]}`.
        case list
        /// `{"op":"watch"}`: `{"event":"pending","review":REVIEW}` for every review pending
        /// now and every later one, and `{"event":"resolved",...}` when one is answered.
        case watch
        /// `{"op":"answer","id":N,"answer":"allow-once|deny-once|allow-run|deny-run","reviewer":"..."}`:
        /// `{"answered":N,...}`, or an error when review N is no longer pending.
        case answer(id: Int, answer: PendingReviews.Answer, reviewer: String?)
    }

    /// The longest request line a client may send: a real one is a few dozen bytes.
    public static let maximumLineLength = 4096

    /// Parses one request line; throws a message for the `error` reply.
    public static func parse(_ line: [UInt8]) throws(ProtocolError) -> Request {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else {
                throw ProtocolError("a request is a JSON object, e.g. {\"op\":\"list\"}")
            }
            object = parsed
        } catch let error as ProtocolError {
            throw error
        } catch {
            throw ProtocolError("not JSON: \(line.count > 80 ? "a line of \(line.count) bytes" : String(decoding: line, as: UTF8.self))")
        }
        switch object["op"] as? String {
        case "list":
            return .list
        case "watch":
            return .watch
        case "answer":
            guard let number = object["id"] as? NSNumber, let id = Int(exactly: number.doubleValue) else {
                throw ProtocolError("\"answer\" needs \"id\": the review's number")
            }
            let answers = PendingReviews.Answer.allCases.map(\.rawValue)
            guard let word = object["answer"] as? String, let answer = PendingReviews.Answer(rawValue: word) else {
                throw ProtocolError("\"answer\" needs \"answer\": one of \(answers.joined(separator: ", "))")
            }
            if let reviewer = object["reviewer"], !(reviewer is String) {
                throw ProtocolError("\"reviewer\" is a string naming who answers")
            }
            return .answer(id: id, answer: answer, reviewer: object["reviewer"] as? String)
        default:
            throw ProtocolError("\"op\" is one of list, watch, answer")
        }
    }

    /// A review as the protocol shows it.
    public static func review(_ pending: PendingReviews.Pending, run: String, now: UInt64) -> [String: Any] {
        let request = pending.request
        return [
            "id": pending.id,
            "run": run,
            "surface": request.surface.rawValue,
            "op": request.operation,
            "subject": request.subject,
            "pid": Int(request.process.pid),
            "exe": request.process.executable,
            "parents": request.parents.map { ["pid": Int($0.pid), "exe": $0.executable] as [String: Any] },
            "rule": request.ruleID.map { $0 as Any } ?? NSNull(),
            "reason": request.reason,
            "waiting_calls": pending.waitingCalls,
            "waited_ms": Int((now - min(now, pending.askedNanoseconds)) / 1_000_000),
            "timeout_ms": Int((pending.deadlineNanoseconds - min(pending.deadlineNanoseconds, now)) / 1_000_000),
        ]
    }

    /// The reply or event about a review that ended.
    public static func resolved(_ id: Int, _ resolution: ReviewResolution?) -> [String: Any] {
        var object: [String: Any] = ["id": id]
        if let resolution {
            object["outcome"] = resolution.outcome.rawValue
            object["answered_by"] = resolution.answeredBy
        }
        return object
    }

    /// One line: the object as compact JSON (keys sorted, so lines are stable) and "\n".
    public static func line(_ object: [String: Any]) -> [UInt8] {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
            ?? Data("{\"error\":\"unencodable reply\"}".utf8)
        return Array(data) + [UInt8(ascii: "\n")]
    }

    public static func decode(_ line: some Collection<UInt8>) -> [String: Any]? {
        (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any]
    }

    public struct ProtocolError: Error, Sendable, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
