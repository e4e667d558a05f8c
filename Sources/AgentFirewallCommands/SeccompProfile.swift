import AgentFirewallPolicy
import AgentFirewallSupervisor
import ArgumentParser

/// `agentfirewall seccomp-profile`: the backstop's deny list for container runtimes.
struct SeccompProfile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seccomp-profile",
        abstract: "Print the backstop's deny list as an OCI/Docker seccomp profile (JSON).",
        discussion: """
            For runtimes that install the filter themselves, e.g. \
            `agentfirewall seccomp-profile > afw-seccomp.json` then \
            `docker run --security-opt seccomp=afw-seccomp.json ...`. Every system call is \
            allowed except those `agentfirewall run` denies in COMMAND: the profile and the \
            filter of `run` are generated from the same list. (A runtime's profile replaces its \
            default one, e.g. Docker's; `run` inside the container stacks its own filter on top.)

            The deny list does not depend on the policy; --policy is loaded and checked so that \
            a container build with a broken policy fails here (exit 78) rather than when the \
            container starts.
            """
    )

    @Option(help: ArgumentHelp("A built-in policy pack or a policy YAML file, checked before printing.", valueName: "name|path"))
    var policy: String?

    func run() throws {
        if let policy {
            _ = try PolicyCommand.load(policy)
        }
        print(SeccompDenyList.ociProfile(), terminator: "")
    }
}
