import AgentFirewallAudit
import Testing

@Suite struct AuditFileTests {
    let directory = TemporaryDirectory()

    func lines(_ path: String) throws -> [(String, Int, Bool)] {
        let file = try AuditFile(path: path)
        var lines: [(String, Int, Bool)] = []
        while let line = try file.nextLine() {
            lines.append((String(decoding: line.bytes, as: UTF8.self), line.number, line.terminated))
        }
        return lines
    }

    @Test func splitsLinesAndMarksAnUnterminatedLastOne() throws {
        let path = directory.write("a", "one\ntwo\n\nthree")
        let found = try lines(path)
        #expect(found.map(\.0) == ["one", "two", "", "three"])
        #expect(found.map(\.1) == [1, 2, 3, 4])
        #expect(found.map(\.2) == [true, true, true, false])
    }

    @Test func linesLongerThanTheBufferAndAcrossRefillsComeOutWhole() throws {
        // 3 MiB lines grow the 1 MiB buffer; short lines after them cross refill boundaries.
        let long = String(repeating: "x", count: 3 << 20)
        var text = long + "\n"
        for index in 0..<100_000 { text += "line \(index)\n" }
        text += long + "\n"
        let found = try lines(directory.write("b", text))
        #expect(found.count == 100_002)
        #expect(found.first?.0 == long && found.last?.0 == long)
        #expect(found[1].0 == "line 0" && found[100_000].0 == "line 99999")
    }

    @Test func refusesALineLongerThanTheLimit() throws {
        let path = directory.write("c", "ok\n" + String(repeating: "x", count: AuditFile.maximumLineLength + 1))
        let file = try AuditFile(path: path)
        _ = try file.nextLine()
        #expect(throws: AuditError.self) { _ = try file.nextLine() }
    }

    @Test func findsTheLastCompleteLineFromTheEnd() throws {
        #expect(try AuditFile(path: directory.write("d", "a\nb\n")).lastCompleteLine() == Array("b".utf8))
        #expect(try AuditFile(path: directory.write("e", "a\nb\ncut")).lastCompleteLine() == Array("b".utf8))
        #expect(try AuditFile(path: directory.write("f", "only\n")).lastCompleteLine() == Array("only".utf8))
        #expect(try AuditFile(path: directory.write("g", "cut")).lastCompleteLine() == nil)
        #expect(try AuditFile(path: directory.write("h", "")).lastCompleteLine() == nil)
        let long = String(repeating: "y", count: 200_000)
        #expect(try AuditFile(path: directory.write("i", "a\n" + long + "\n")).lastCompleteLine() == Array(long.utf8))
    }

    @Test func aMissingFileIsAnErrorThatNamesIt() {
        #expect(throws: AuditError(.unreadable, path: directory.file("none"), line: nil,
                                   message: "cannot open the audit file: No such file or directory")) {
            _ = try AuditFile(path: directory.file("none"))
        }
    }
}
