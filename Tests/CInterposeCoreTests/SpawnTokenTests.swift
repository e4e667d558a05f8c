import CAgentFirewallABI
import CInterposeCore
import Testing

@Suite struct SpawnTokenTests {
    let now: UInt64 = 1_000_000_000

    @Test func aTokenLetsExactlyOneMatchingExecThrough() throws {
        let segment = try SegmentFixture()
        afw_spawn_token_put(segment.header, 42, "/bin/sh", now)
        #expect(!afw_spawn_token_take(segment.header, 43, "/bin/sh", now + 1))
        #expect(!afw_spawn_token_take(segment.header, 42, "/bin/bash", now + 1))
        #expect(afw_spawn_token_take(segment.header, 42, "/bin/sh", now + 1))
        #expect(!afw_spawn_token_take(segment.header, 42, "/bin/sh", now + 2))
    }

    @Test func aTokenExpires() throws {
        let segment = try SegmentFixture()
        afw_spawn_token_put(segment.header, 42, "/bin/sh", now)
        #expect(!afw_spawn_token_take(segment.header, 42, "/bin/sh", now + AFW_SPAWN_TOKEN_LIFETIME_NS))
    }

    /// A fresh segment holds no tokens; a token for one spawn does not cover another.
    @Test func noTokenNoPass() throws {
        let segment = try SegmentFixture()
        #expect(!afw_spawn_token_take(segment.header, 0, "", 0))
        afw_spawn_token_put(segment.header, 7, "/usr/bin/true", now)
        afw_spawn_token_put(segment.header, 8, "/usr/bin/true", now)
        #expect(afw_spawn_token_take(segment.header, 8, "/usr/bin/true", now))
        #expect(afw_spawn_token_take(segment.header, 7, "/usr/bin/true", now))
    }
}
