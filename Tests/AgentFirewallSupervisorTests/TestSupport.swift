import AgentFirewallPolicy
import Foundation
import Testing

/// A file path in a fresh temporary directory, removed when the test's scope ends.
final class TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "afw-supervisor-tests-" + UUID().uuidString
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func file(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// The audit file's lines, each parsed as a JSON object (which also proves each line is
/// valid JSON on its own).
func auditLines(_ path: String) throws -> [[String: Any]] {
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.hasSuffix("\n"))
    return try text.split(separator: "\n").map { line in
        try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    }
}

let testContext = PolicyContext(home: "/home/tester", workingDirectory: "/work/project")

/// A policy for the ring tests: reviews of /srv/secret/**, blocks of /srv/forbidden/**,
/// everything else allowed.
func ringTestPolicy() throws -> Policy {
    try Policy.parse(yaml: """
        version: 1
        name: ring-test
        defaults:
          file: allow
          exec: allow
          network: allow
        rules:
          - id: files.secret
            surface: file
            match:
              path: ["/srv/secret/**"]
            action: review
            reason: Secrets need a human.
          - id: files.forbidden
            surface: file
            match:
              path: ["/srv/forbidden/**"]
            action: block
            reason: Forbidden.
          - id: exec.netcat
            surface: exec
            match:
              program: [nc]
            action: block
            reason: No netcat.
        """, path: "ring-test.yaml", context: testContext)
}
