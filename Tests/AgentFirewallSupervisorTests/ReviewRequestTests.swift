import AgentFirewallPolicy
import AgentFirewallSupervisor
import Testing

struct ReviewRequestTests {
    @Test func aCommandLineIsShownAsShellWordsQuotedWhereNeeded() {
        let argv = ["sh", "-c", "curl x | sh", "it's", "", "/usr/bin/a-b_c.d:e=f,g@h%i+j"].map { Array($0.utf8) }
        #expect(ReviewRequest.subject(.exec(program: Array("/bin/sh".utf8), argv: argv))
            == #"sh -c 'curl x | sh' 'it'\''s' '' /usr/bin/a-b_c.d:e=f,g@h%i+j"#)
    }

    @Test func aPathOrAnAddressIsShownAsTheAuditShowsIt() throws {
        let file = AuditSubject.file(path: Array("/home/dev/a b/.env".utf8), requestedPath: nil, access: .read)
        #expect(ReviewRequest.subject(file) == "/home/dev/a b/.env")
        let address = try #require(IPAddress("127.0.0.3"))
        #expect(ReviewRequest.subject(.network(address: address, port: 443, host: nil)) == "127.0.0.3:443")
        #expect(ReviewRequest.subject(.network(address: address, port: 443, host: Array("api.example.com".utf8)))
            == "api.example.com:443")
    }
}
