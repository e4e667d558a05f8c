import AgentFirewallOS
import AgentFirewallPolicy
import Synchronization

/// Writes the audit as JSON Lines (SPEC.md, "Audit record").
///
/// `seq` is assigned here, at write time, so it is gapless whatever order the rings hand
/// records over in and however many records were lost before reaching us. Lines go through a
/// buffer; the agent never waits on this file (the rings decouple it).
///
/// Two threads write: the ring server (shim events) and the backstop (notified calls of
/// static binaries); a lock keeps each line whole and `seq` in the order lines are written.
public final class AuditWriter: @unchecked Sendable {
    // @unchecked: every access to the state below happens under `lock`.
    private let lock = Mutex(())
    private let file: BufferedFile
    public private(set) var eventsWritten: UInt64 = 0
    private var lastFlushNanoseconds = Clock.monotonicNanoseconds()
    /// Longest a written line waits in the buffer while the supervisor is busy, so a reader
    /// tailing the audit sees calls as they happen.
    private static let flushIntervalNanoseconds: UInt64 = 1_000_000_000

    public var path: String { file.path }

    /// Creates or truncates the audit file, readable by its owner only (it names the files
    /// and hosts the agent touched).
    public init(creatingAt path: String) throws(OSError) {
        file = try BufferedFile(creatingAt: path, mode: 0o600)
    }

    public func write(_ record: AuditRecord) {
        lock.withLock { _ in writeLocked(record) }
    }

    private func writeLocked(_ record: AuditRecord) {
        eventsWritten += 1
        var line = JSONLine()
        line.field("seq", integer: eventsWritten)
        line.field("time", string: rfc3339Microseconds(nanosecondsSinceEpoch: record.timeNanoseconds))
        line.field("pid", integer: record.pid)
        line.field("ppid", integer: record.parentPID)
        line.field("exe", string: record.executable)
        line.field("surface", string: record.subject.surface.rawValue)
        line.field("op", string: record.operation)
        switch record.subject {
        case .file(let path, let requestedPath, let access):
            line.field("access", string: access.names.joined(separator: ","))
            line.field("subject", string: path)
            if let requestedPath, requestedPath != path {
                line.field("requested", string: requestedPath)
            }
        case .exec(let program, let argv):
            line.field("subject", strings: argv)
            line.field("program", string: program)
        case .network(let address, let port, let host):
            let shownAddress = address.family == 6 ? "[\(address)]" : address.description
            if let host, !host.isEmpty {
                line.field("subject", string: host + Array(":\(port)".utf8))
                line.field("host", string: host)
            } else {
                line.field("subject", string: "\(shownAddress):\(port)")
                line.field("host", optionalString: nil)
            }
            line.field("address", string: address.description)
            line.field("port", integer: port)
        }
        line.field("decision", string: record.decision.action.rawValue)
        line.field("rule", optionalString: record.decision.ruleID)
        line.field("reason", string: record.decision.reason)
        if let review = record.review {
            line.field("outcome", string: review.outcome.rawValue)
            line.field("answered_by", string: review.answeredBy)
            if let reviewID = review.reviewID {
                line.field("review_id", integer: reviewID)
            }
            line.field("waited_ns", integer: review.waitedNanoseconds)
        }
        line.field("mode", string: record.monitor ? "monitor" : "enforce")
        line.field("path", string: record.path.rawValue)
        line.field("latency_ns", integer: record.latencyNanoseconds)
        if record.truncated {
            line.field("truncated", bool: true)
        }
        if record.staticBinary {
            line.field("static_binary", bool: true)
        }
        file.write(line.finished())
        if Clock.monotonicNanoseconds() - lastFlushNanoseconds >= AuditWriter.flushIntervalNanoseconds {
            flushLocked()
        }
    }

    /// Writes buffered lines to the file (the ring server calls it whenever it goes idle).
    public func flush() {
        lock.withLock { _ in flushLocked() }
    }

    private func flushLocked() {
        if file.hasBufferedBytes { file.flush() }
        lastFlushNanoseconds = Clock.monotonicNanoseconds()
    }

    /// Writes the summary line, flushes and closes. Returns the first write error the file
    /// saw: then the audit is incomplete, and the caller must say so.
    public func finish(with summary: AuditSummary) -> OSError? {
        lock.withLock { _ in finishLocked(with: summary) }
    }

    private func finishLocked(with summary: AuditSummary) -> OSError? {
        var line = JSONLine()
        line.field("summary", bool: true)
        line.field("events", integer: eventsWritten)
        line.field("dropped", integer: summary.dropped)
        line.field("malformed", integer: summary.malformed)
        line.field("allowed_counted", integer: summary.allowedCounted)
        line.field("policy", string: summary.policyName)
        line.field("policy_source", string: summary.policySource)
        line.field("cwd", string: summary.context.workingDirectory)
        line.field("home", string: summary.context.home)
        line.field("mode", string: summary.monitor ? "monitor" : "enforce")
        line.field("exit_status", integer: summary.exitStatus)
        file.write(line.finished())
        return file.close()
    }
}
