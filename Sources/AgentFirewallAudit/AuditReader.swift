/// Reads an audit file as one run: every line parsed and checked, `seq` without gaps, the
/// summary (if any) last and counting the events above it. What `replay`, `audit summary` and
/// `audit export` all read through, so they accept and refuse the same files.
public final class AuditReader {
    public let file: AuditFile
    private var line = AuditLine()

    /// What a whole read found besides the events.
    public struct Ending: Sendable, Equatable {
        public var events: UInt64 = 0
        /// nil when the run did not finish (crashed or killed) and wrote no summary.
        public var summary: AuditRunSummary?
        /// Things a reader should be told but that do not make the file unusable, each one
        /// line in the `AUDIT[:LINE]: warning: ...` shape.
        public var warnings: [String] = []
    }

    /// With `decisionsOnly` (replay), each event's time, reason, exe and op are checked to be
    /// strings but not decoded: nothing replay decides or prints comes from them, and they
    /// are a good part of every line.
    public init(path: String, decisionsOnly: Bool = false) throws(AuditError) {
        file = try AuditFile(path: path)
        if decisionsOnly {
            for field in [AuditField.time, .reason, .exe, .op] { line.undecoded[field.rawValue] = true }
        }
    }

    public var path: String { file.path }

    /// The run's summary, read from the end of the file before the events: replay needs the
    /// cwd and home it records to compile the policy as the run did. nil when the last
    /// complete line is no summary (the run did not finish); a damaged summary is reported
    /// at its line number by `forEachEvent`.
    public func runSummary() throws(AuditError) -> AuditRunSummary? {
        guard let bytes = try file.lastCompleteLine() else { return nil }
        var summaryLine = AuditLine()
        do {
            try bytes.withUnsafeBufferPointer { buffer throws(AuditLineProblem) in try summaryLine.parse(buffer) }
        } catch {
            return nil
        }
        return summaryLine.kind == .summary ? summaryLine.runSummary : nil
    }

    /// Calls `body` with each event line, in file order, and its line number. Throws at the
    /// first line that is not a usable record; a cut-short last line is a warning.
    public func forEachEvent(_ body: (AuditLine, Int) -> Void) throws(AuditError) -> Ending {
        var ending = Ending()
        var previousSequence: UInt64?
        while let next = try file.nextLine() {
            if ending.summary != nil {
                throw AuditError(.inconsistent, path: path, line: next.number,
                                 message: "a line follows the summary line; the summary ends a run (were two audits concatenated?)")
            }
            do {
                try line.parse(next.bytes)
            } catch {
                if !next.terminated {
                    ending.warnings.append("\(path):\(next.number): warning: the last line is cut short (\(error.message)): the run did not finish writing it; it is ignored")
                    break
                }
                throw AuditError(error.code, path: path, line: next.number, message: error.message)
            }
            switch line.kind {
            case .summary:
                let summary = line.runSummary
                if let previousSequence, summary.events != previousSequence {
                    throw AuditError(.inconsistent, path: path, line: next.number,
                                     message: "the summary counts \(summary.events) events but the last event has seq \(previousSequence); lines are missing")
                }
                ending.summary = summary
            case .event:
                if let previousSequence, line.sequence != previousSequence + 1 {
                    throw AuditError(.inconsistent, path: path, line: next.number,
                                     message: "seq \(line.sequence) follows seq \(previousSequence); seq has no gaps in a run's audit, so lines are missing or were reordered")
                }
                previousSequence = line.sequence
                ending.events += 1
                body(line, next.number)
            }
        }
        if ending.summary == nil {
            ending.warnings.append("\(path): warning: no summary line: the run did not finish (crashed or killed), so the audit may end early")
        }
        if let counted = ending.summary?.allowedCounted, counted > 0 {
            ending.warnings.append("\(path): warning: \(counted) fast-path allows were counted, not listed (audit: {allowed: count}); they cannot be re-decided")
        }
        if let dropped = ending.summary?.dropped, dropped > 0 {
            ending.warnings.append("\(path): warning: the run dropped \(dropped) events (its event ring was full); they are not in the audit")
        }
        return ending
    }
}
