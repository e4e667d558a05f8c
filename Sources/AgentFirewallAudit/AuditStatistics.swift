import AgentFirewallPolicy

/// What `audit summary` reports about a run: counts by surface, decision and rule, the
/// subjects blocked most often, and the processes that made the calls as a tree by pid/ppid.
///
/// Memory is bounded whatever the file's length: past `distinctLimit` distinct blocked
/// subjects or processes, further ones are only counted.
public struct AuditStatistics: Sendable {
    public private(set) var events: UInt64 = 0
    public private(set) var bySurface: [Surface: UInt64] = [:]
    public private(set) var byDecision: [Action: UInt64] = [:]
    /// Reviews by what the call got (allow or block); a review recorded in monitor mode has none.
    public private(set) var reviewOutcomes: [Action: UInt64] = [:]
    /// By rule id; a surface default is "default (SURFACE)".
    public private(set) var byRule: [String: UInt64] = [:]
    public private(set) var blockedSubjects: [BlockedSubject: UInt64] = [:]
    /// Blocked events whose subject came after the limit was reached.
    public private(set) var blockedUnlisted: UInt64 = 0
    public private(set) var processes: [Int32: Process] = [:]
    public private(set) var processesUnlisted: UInt64 = 0

    public static let distinctLimit = 10_000
    /// How many different programs one pid is listed with (each exec replaces the program).
    static let executablesPerProcess = 4

    public struct BlockedSubject: Sendable, Hashable {
        public let surface: Surface
        public let subject: String
    }

    public struct Process: Sendable, Equatable {
        public let pid: Int32
        public var parentPID: Int32?
        /// The programs the pid ran, in order (an exec changes it).
        public var executables: [String]
        public var events: UInt64
        public var blocked: UInt64
    }

    public init() {}

    /// Whether the call was refused: a block, or a review that was denied.
    static func wasBlocked(_ line: AuditLine) -> Bool {
        line.action == .block || (line.action == .review && line.reviewOutcome == .block)
    }

    public mutating func add(_ line: AuditLine) {
        events += 1
        bySurface[line.surface, default: 0] += 1
        byDecision[line.action, default: 0] += 1
        if line.action == .review, let outcome = line.reviewOutcome {
            reviewOutcomes[outcome, default: 0] += 1
        }
        byRule[line.ruleID ?? "default (\(line.surface.rawValue))", default: 0] += 1
        let blocked = AuditStatistics.wasBlocked(line)
        if blocked {
            let subject = BlockedSubject(surface: line.surface, subject: line.subjectSummary)
            if blockedSubjects[subject] != nil || blockedSubjects.count < AuditStatistics.distinctLimit {
                blockedSubjects[subject, default: 0] += 1
            } else {
                blockedUnlisted += 1
            }
        }
        if var process = processes[line.pid] {
            process.events += 1
            if blocked { process.blocked += 1 }
            if process.parentPID == nil { process.parentPID = line.parentPID }
            let executable = line.executable
            if process.executables.last != executable, process.executables.count < AuditStatistics.executablesPerProcess {
                process.executables.append(executable)
            }
            processes[line.pid] = process
        } else if processes.count < AuditStatistics.distinctLimit {
            processes[line.pid] = Process(pid: line.pid, parentPID: line.parentPID, executables: [line.executable],
                                          events: 1, blocked: blocked ? 1 : 0)
        } else {
            processesUnlisted += 1
        }
    }

    /// The most often blocked subjects, most first (ties by subject).
    public func topBlocked(_ limit: Int) -> [(subject: BlockedSubject, count: UInt64)] {
        blockedSubjects.map { ($0.key, $0.value) }
            .sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0.subject < $1.0.subject }
            .prefix(limit).map { ($0.0, $0.1) }
    }

    /// Counts by rule, most first.
    public var sortedRules: [(rule: String, count: UInt64)] {
        byRule.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    /// A process and its children, each with theirs.
    public struct ProcessNode: Sendable, Equatable {
        public let process: Process
        public let children: [ProcessNode]
    }

    /// The processes as a forest: a process whose parent made no recorded call is a root.
    /// A pid reused during the run (or a forged ppid) can make a cycle; each pid is shown once.
    public var processTree: [ProcessNode] {
        var children: [Int32: [Int32]] = [:]
        var roots: [Int32] = []
        for (pid, process) in processes {
            if let parent = process.parentPID, parent != pid, processes[parent] != nil {
                children[parent, default: []].append(pid)
            } else {
                roots.append(pid)
            }
        }
        var shown = Set<Int32>()
        func node(_ pid: Int32) -> ProcessNode? {
            guard shown.insert(pid).inserted, let process = processes[pid] else { return nil }
            return ProcessNode(process: process, children: (children[pid] ?? []).sorted().compactMap(node))
        }
        var forest = roots.sorted().compactMap(node)
        // Processes only reachable through a cycle have no root: show them at the top level.
        for pid in processes.keys.sorted() where !shown.contains(pid) {
            if let cycle = node(pid) { forest.append(cycle) }
        }
        return forest
    }
}
