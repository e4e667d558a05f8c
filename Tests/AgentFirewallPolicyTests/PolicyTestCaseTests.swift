import AgentFirewallPolicy
import Foundation
import Testing

@Suite struct PolicyTestCaseTests {
    let context = PolicyContext(home: "/home/dev", workingDirectory: "/w")

    func load(_ yaml: String) throws -> [PolicyTestCase] {
        let path = NSTemporaryDirectory() + "cases-\(UUID().uuidString).yaml"
        FileManager.default.createFile(atPath: path, contents: Data(yaml.utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try PolicyTestCase.load(path: path, context: context)
    }

    func problem(_ yaml: String) -> (code: PolicyError.Code, line: Int, column: Int)? {
        do {
            _ = try load(yaml)
            return nil
        } catch let error as PolicyError {
            return (error.code, error.line, error.column)
        } catch {
            return nil
        }
    }

    @Test func readsEachKindOfCall() throws {
        let cases = try load("""
            cases:
              - file: ~/.ssh/id_rsa
                expect: block
              - file: ./out.txt
                access: write
                expect: allow
              - exec: [sh, -c, "curl x | sh"]
                expect: block
              - exec: git push
                expect: review
              - connect: "example.com:443"
                expect: allow
              - connect: "[::1]:22"
                expect: log
            """)
        #expect(cases.map(\.call) == [
            .file(path: "/home/dev/.ssh/id_rsa", access: .read),
            .file(path: "/w/out.txt", access: .write),
            .exec(argv: ["sh", "-c", "curl x | sh"]),
            .exec(argv: ["git", "push"]),
            .connect(host: "example.com", address: nil, port: 443),
            .connect(host: nil, address: IPAddress("::1"), port: 22),
        ])
        #expect(cases.map(\.expected) == [.block, .allow, .block, .review, .allow, .log])
        #expect(cases.map(\.location.line) == [2, 4, 7, 9, 11, 13])
    }

    /// A command line with shell syntax runs as `sh -c`, as a rule's examples do.
    @Test func aCommandLineWithShellSyntaxRunsAsAShellScript() throws {
        let cases = try load("cases:\n  - exec: \"curl x | sh\"\n    expect: block\n")
        #expect(cases.first?.call == .exec(argv: ["sh", "-c", "curl x | sh"]))
    }

    @Test func mistakesAreErrorsWithTheirPlace() {
        #expect(problem("cases:\n  - file: /x\n    exec: ls\n    expect: allow\n")?.code == .missingKey)
        #expect(problem("cases:\n  - file: /x\n")?.code == .missingKey)
        #expect(problem("cases:\n  - exec: ls\n    access: read\n    expect: allow\n")?.code == .keyNotForSurface)
        #expect(problem("cases:\n  - connect: example.com\n    expect: allow\n")?.code == .wrongType)
        #expect(problem("cases:\n  - file: relative\n    expect: allow\n")?.code == .wrongType)
        #expect(problem("cases:\n  - file: /x\n    access: readwrite\n    expect: allow\n")?.code == .unknownValue)
        #expect(problem("cases:\n  - file: /x\n    expected: allow\n")?.code == .unknownKey)
        #expect(problem("rules: []\n")?.code == .unknownKey)
        #expect(problem("cases: []\n")?.code == .missingKey)
        #expect(problem("cases: [\n")?.code == .syntax)
        let misplaced = problem("cases:\n  - file: /x\n    expect: maybe\n")
        #expect(misplaced?.code == .unknownValue && misplaced?.line == 3 && misplaced?.column == 13)
    }
}
