import AgentFirewallAudit
import Foundation
import Testing

@Suite struct JSONWriterTests {
    @Test func escapesWhatCouldSplitALineOrReachATerminal() throws {
        var writer = JSONWriter()
        writer.field("s", "a\"b\\c\nd\u{1b}[31m\u{85}é")
        writer.field("n", 42)
        writer.field("none", nil as String?)
        writer.field("list", ["x", "y"])
        writer.field("flag", true)
        let text = writer.object
        #expect(text == #"{"s":"a\"b\\c\nd\u001b[31m\u0085é","n":42,"none":null,"list":["x","y"],"flag":true}"#)
        let decoded = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(decoded?["s"] as? String == "a\"b\\c\nd\u{1b}[31m\u{85}é")
    }

    @Test func terminalTextShowsControlCharactersInsteadOfSendingThem() {
        #expect(terminalSafe("plain /path") == "plain /path")
        #expect(terminalSafe("a\u{1b}]0;owned\u{07}b\n") == "a\\u{1b}]0;owned\\u{7}b\\u{a}")
    }
}
