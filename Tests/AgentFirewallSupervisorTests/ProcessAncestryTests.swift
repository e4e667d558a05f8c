import AgentFirewallSupervisor
import Foundation
import Testing

struct ProcessAncestryTests {
    @Test func theChainStartsWithTheParentAndStopsWhereItIsTold() throws {
        let chain = ProcessAncestry.parents(of: getpid(), stopAt: -1)
        let parent = try #require(chain.first)
        #expect(parent.pid == getppid())
        #expect(parent.executable == (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(getppid())/exe")) ?? "")
        #expect(chain.allSatisfy { $0.pid > 1 })
        #expect(ProcessAncestry.parents(of: getpid(), stopAt: getppid()).isEmpty)
    }

    @Test func theExecutableIsWhatProcNames() throws {
        let expected = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
        #expect(ProcessAncestry.executable(of: getpid()) == expected)
        #expect(ProcessAncestry.executablePath(of: getpid()) == Array(expected.utf8))
    }

    @Test func aProcessThatIsGoneHasNoExecutableAndNoParents() {
        // pid_max is at most 2^22: this pid cannot exist.
        #expect(ProcessAncestry.executable(of: 1 << 23) == "")
        #expect(ProcessAncestry.parents(of: 1 << 23, stopAt: -1).isEmpty)
    }
}
