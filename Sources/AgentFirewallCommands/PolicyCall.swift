import AgentFirewallOS
import AgentFirewallPolicy
import AgentFirewallSupervisor

/// What `policy explain` and `policy test` ask a policy about: a call turned into the event
/// the shim would report on this machine, and the line that names it.
enum PolicyCall {
    static func event(_ call: PolicyTestCase.Call, context: PolicyContext) -> Event {
        switch call {
        case .file(let path, let access):
            return .file(opening: path, access: access)
        case .exec(let argv):
            // As `run` finds COMMAND. A program this machine does not have is judged as if
            // it were in /usr/bin, so that a cases file means the same on every machine.
            let name = argv.first ?? ""
            let program: String
            switch ProgramSearch.resolve(name, searchPath: CurrentProcess.environmentValue("PATH"), workingDirectory: context.workingDirectory) {
            case .success(let found): program = found
            case .failure: program = name.hasPrefix("/") ? name : "/usr/bin/" + name
            }
            return .exec(program: program, argv: argv)
        case .connect(let host, let address, let port):
            return .connecting(host: host, address: address, port: port)
        }
    }

    /// "file read /srv/app/.env", "exec git push", "network example.com:443".
    static func describe(_ event: Event) -> String {
        switch event {
        case .file(let path, let requested, let access):
            let through = requested.map { " (as \($0))" } ?? ""
            return "file \(access.names.joined(separator: ",")) \(path)\(through)"
        case .exec(let program, let argv):
            let shown = argv.joined(separator: " ")
            return "exec \(shown)" + (argv.first == program ? "" : " (program \(program))")
        case .network(let address, let port, let host):
            let shownAddress = address.bytes.count == 16 ? "[\(address)]" : "\(address)"
            return "network \(host ?? shownAddress):\(port)"
        }
    }

    /// "block (rule secrets.dotenv at builtin:default:33:9): reason", or for a surface
    /// default "allow (no rule matched; the file default is allow)".
    static func describe(_ decision: Decision, in policy: Policy) -> String {
        guard let id = decision.ruleID else {
            return "\(decision.action.rawValue) (\(decision.reason))"
        }
        let location = policy.rules.first { $0.id == id }.map { " at \($0.location)" } ?? ""
        let reason = decision.reason.isEmpty ? "" : ": \(decision.reason)"
        return "\(decision.action.rawValue) (rule \(id)\(location))\(reason)"
    }
}
