import AgentFirewallPolicy

/// Audit events as OCSF 1.1 events (https://schema.ocsf.io), one JSON object per line, for
/// SIEM tools that ingest OCSF: file events are File System Activity (1001), execs Process
/// Activity (1007), connects Network Activity (4001). The decision goes into the Security
/// Control profile's `action`/`disposition` and `firewall_rule`; what OCSF has no attribute
/// for (the decision path, the mode, the requested path, the libc entry point) goes into
/// `unmapped`. README's "Audit" section has the full mapping.
public enum OCSFExport {
    public static let schemaVersion = "1.1.0"

    struct EventClass {
        let uid: Int
        let name: String
        let categoryUID: Int
        let categoryName: String
    }

    static let fileSystemActivity = EventClass(uid: 1001, name: "File System Activity", categoryUID: 1, categoryName: "System Activity")
    static let processActivity = EventClass(uid: 1007, name: "Process Activity", categoryUID: 1, categoryName: "System Activity")
    static let networkActivity = EventClass(uid: 4001, name: "Network Activity", categoryUID: 4, categoryName: "Network Activity")

    /// One OCSF event for one audit event line.
    public static func event(_ line: AuditLine, productVersion: String) -> String {
        let eventClass: EventClass
        let activity: (id: Int, name: String)
        switch line.surface {
        case .file:
            eventClass = fileSystemActivity
            activity = line.access.contains(.create) ? (1, "Create") : (14, "Open")
        case .exec:
            eventClass = processActivity
            activity = (1, "Launch")
        case .network:
            eventClass = networkActivity
            activity = (1, "Open")
        }
        let refused = AuditStatistics.wasBlocked(line)
        // In monitor mode nothing is enforced: the call went ahead whatever the decision.
        let enforcedRefusal = refused && !line.monitor

        var object = JSONWriter()
        object.field("class_uid", eventClass.uid)
        object.field("class_name", eventClass.name)
        object.field("category_uid", eventClass.categoryUID)
        object.field("category_name", eventClass.categoryName)
        object.field("activity_id", activity.id)
        object.field("activity_name", activity.name)
        object.field("type_uid", eventClass.uid * 100 + activity.id)
        object.field("type_name", "\(eventClass.name): \(activity.name)")
        if let milliseconds = epochMilliseconds(rfc3339: line.time) {
            object.field("time", milliseconds)
        }
        object.field("severity_id", refused ? 3 : 1)
        object.field("severity", refused ? "Medium" : "Informational")
        object.field("status_id", enforcedRefusal ? 2 : 1)
        object.field("status", enforcedRefusal ? "Failure" : "Success")
        object.field("action_id", enforcedRefusal ? 2 : 1)
        object.field("action", enforcedRefusal ? "Denied" : "Allowed")
        let disposition = disposition(line, refused: refused)
        object.field("disposition_id", disposition.id)
        object.field("disposition", disposition.name)
        object.field("message", "\(line.action.rawValue) \(line.surface.rawValue) \(line.subjectSummary) (rule \(line.ruleID ?? "default")): \(line.reason)")

        var rule = JSONWriter()
        rule.field("name", line.ruleID ?? "default (\(line.surface.rawValue))")
        rule.field("desc", line.reason)
        object.field("firewall_rule", raw: rule.object)

        var metadata = JSONWriter()
        metadata.field("version", schemaVersion)
        metadata.field("uid", String(line.sequence))
        var product = JSONWriter()
        product.field("name", "agentfirewall")
        product.field("vendor_name", "agentfirewall")
        product.field("version", productVersion)
        metadata.field("product", raw: product.object)
        object.field("metadata", raw: metadata.object)

        object.field("actor", raw: actor(line))
        switch line.surface {
        case .file:
            object.field("file", raw: file(path: line.subjectText))
        case .exec:
            var process = JSONWriter()
            process.field("cmd_line", line.argv.joined(separator: " "))
            process.field("file", raw: file(path: line.program))
            object.field("process", raw: process.object)
        case .network:
            var endpoint = JSONWriter()
            endpoint.field("ip", line.address.description)
            endpoint.field("port", line.port)
            if let host = line.host, !host.isEmpty { endpoint.field("hostname", host) }
            object.field("dst_endpoint", raw: endpoint.object)
            var connection = JSONWriter()
            connection.field("direction_id", 2)
            connection.field("direction", "Outbound")
            object.field("connection_info", raw: connection.object)
        }

        var unmapped = JSONWriter()
        unmapped.field("seq", line.sequence)
        unmapped.field("decision", line.action.rawValue)
        if let outcome = line.reviewOutcome { unmapped.field("outcome", outcome.rawValue) }
        unmapped.field("decision_path", line.decisionPath)
        unmapped.field("mode", line.monitor ? "monitor" : "enforce")
        unmapped.field("op", line.operation)
        if line.surface == .file {
            unmapped.field("access", line.access.names.joined(separator: ","))
            if let requested = line.requestedPath { unmapped.field("requested", requested) }
        }
        if line.surface == .exec { unmapped.field("argv", line.argv) }
        if line.truncated { unmapped.field("truncated", true) }
        if line.staticBinary { unmapped.field("static_binary", true) }
        object.field("unmapped", raw: unmapped.object)
        return object.object
    }

    /// OCSF disposition ids: 1 Allowed, 2 Blocked, 15 Detected (refused by the policy but not
    /// enforced: monitor mode), 17 Logged.
    private static func disposition(_ line: AuditLine, refused: Bool) -> (id: Int, name: String) {
        if refused { return line.monitor ? (15, "Detected") : (2, "Blocked") }
        return line.action == .log ? (17, "Logged") : (1, "Allowed")
    }

    private static func actor(_ line: AuditLine) -> String {
        var process = JSONWriter()
        process.field("pid", line.pid)
        if !line.executable.isEmpty { process.field("file", raw: file(path: line.executable)) }
        if let parent = line.parentPID {
            var parentProcess = JSONWriter()
            parentProcess.field("pid", parent)
            process.field("parent_process", raw: parentProcess.object)
        }
        var actor = JSONWriter()
        actor.field("process", raw: process.object)
        return actor.object
    }

    /// An OCSF File object: `name` and `type_id` are required; the audit does not record the
    /// file's type, so it is 0 (Unknown).
    private static func file(path: String) -> String {
        var file = JSONWriter()
        file.field("path", path)
        file.field("name", path.split(separator: "/").last.map(String.init) ?? path)
        file.field("type_id", 0)
        return file.object
    }

    /// "2026-11-25T10:00:00.123456Z" -> milliseconds since 1970 (OCSF `timestamp_t`); nil for
    /// a time in another shape (the writer always writes this one).
    static func epochMilliseconds(rfc3339 text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes.last == UInt8(ascii: "Z"), bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
              bytes[10] == UInt8(ascii: "T"), bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":")
        else { return nil }
        func number(_ range: Range<Int>) -> Int64? {
            var value: Int64 = 0
            for index in range {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
                value = value * 10 + Int64(bytes[index] - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var milliseconds: Int64 = 0
        if bytes[19] == UInt8(ascii: ".") {
            let fraction = bytes[20..<(bytes.count - 1)]
            guard (1...9).contains(fraction.count), let digits = number(20..<(bytes.count - 1)) else { return nil }
            var scaled = digits
            var count = fraction.count
            while count > 3 { scaled /= 10; count -= 1 }
            while count < 3 { scaled *= 10; count += 1 }
            milliseconds = scaled
        } else if bytes.count != 20 {
            return nil
        }
        return (daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second) * 1000 + milliseconds
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int64, month: Int64, day: Int64) -> Int64 {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
