import AgentFirewallPolicy
import ArgumentParser

struct PolicyShow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Print a built-in policy pack, e.g. to start a policy of your own from it."
    )

    @Argument(help: ArgumentHelp("A built-in pack: \(BuiltinPacks.names.joined(separator: ", ")).", valueName: "name"))
    var name: String

    func validate() throws {
        if BuiltinPacks.source(named: name) == nil {
            throw ValidationError("no built-in pack named '\(name)'; the packs are: \(BuiltinPacks.names.joined(separator: ", "))")
        }
    }

    func run() throws {
        print(BuiltinPacks.source(named: name) ?? "", terminator: "")
    }
}
