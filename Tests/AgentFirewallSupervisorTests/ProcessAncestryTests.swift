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

    @Test func theSeccompFilterCountIsReadFromProcStatus() throws {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let line = try #require(status.split(separator: "\n").first { $0.hasPrefix("Seccomp_filters:") })
        let expected = Int(line.dropFirst("Seccomp_filters:".count).trimmingCharacters(in: .whitespaces))
        #expect(expected != nil)
        #expect(ProcessAncestry.seccompFilterCount(statusPath: "/proc/self/status") == expected)
        #expect(ProcessAncestry.seccompFilterCount(statusPath: "/proc/\(1 << 23)/status") == nil)
    }
}
