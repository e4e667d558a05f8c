import AgentFirewallPolicy
import ArgumentParser

struct PolicyExplain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Say what a policy decides for one call, and which rule decides it.",
        discussion: """
            The call is normalised as the firewall would see it on this machine: a file's path \
            made absolute with its symlinks resolved, a program found in PATH, an address or a \
            host name. Exit status 0 when the call would be allowed (allow, log), 1 when it \
            would be blocked, 2 when it would be reviewed.
            """
    )

    @Argument(help: ArgumentHelp("A built-in pack name or a policy YAML file.", valueName: "name|path"))
    var policy: String

    @Option(help: ArgumentHelp("A file to open (~/ and ./ expand).", valueName: "path"))
    var file: String?

    @Flag(help: "With --file: open it for writing instead of reading.")
    var write = false

    @Option(help: ArgumentHelp("HOST:PORT, ADDRESS:PORT or [V6]:PORT to connect to.", valueName: "host:port"))
    var connect: String?

    @Option(parsing: .remaining, help: ArgumentHelp("A program and its arguments (last on the line).", valueName: "argv"))
    var exec: [String] = []

    func validate() throws {
        let given = [file != nil, !exec.isEmpty, connect != nil].filter { $0 }.count
        guard given == 1 else {
            throw ValidationError("give exactly one of --file PATH, --exec ARGV... or --connect HOST:PORT")
        }
        if write && file == nil {
            throw ValidationError("--write goes with --file")
        }
    }

    func run() throws {
        let context = PolicyContext.current()
        let loaded = try PolicyCommand.load(policy, context: context)
        let call: PolicyTestCase.Call
        if let file {
            // A relative path is relative to the working directory, as for any program.
            let path = context.expandPath(file) ?? context.expandPath("./" + file) ?? file
            call = .file(path: path, access: write ? .write : .read)
        } else if let connect {
            guard let parsed = PolicyTestCase.connectCall(connect) else {
                throw ValidationError("--connect \(connect): write HOST:PORT, ADDRESS:PORT or [V6]:PORT")
            }
            call = parsed
        } else {
            call = .exec(argv: exec)
        }
        let event = PolicyCall.event(call, context: context)
        let decision = Engine(CompiledPolicy(loaded)).decide(event)
        print("\(PolicyCall.describe(event)): \(PolicyCall.describe(decision, in: loaded))")
        switch decision.action {
        case .allow, .log: return
        case .block: throw ExitCode(1)
        case .review: throw ExitCode(2)
        }
    }
}
