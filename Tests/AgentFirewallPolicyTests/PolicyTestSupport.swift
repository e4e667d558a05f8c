import AgentFirewallPolicy
import Foundation

/// A fixed home and working directory, so expanded globs and messages are the same on every machine.
let testContext = PolicyContext(home: "/home/dev", workingDirectory: "/home/dev/app")

/// Parses policy text and returns the error it raises, or nil when it loads.
func loadError(_ yaml: String, path: String = "test.yaml") -> PolicyError? {
    do {
        _ = try Policy.parse(yaml: yaml, path: path, context: testContext)
        return nil
    } catch {
        return error
    }
}

/// An engine over a built-in pack, as `run --policy NAME` would build it.
func packEngine(_ name: String) throws -> Engine {
    Engine(CompiledPolicy(try Policy.load(name, context: testContext)))
}

/// Splits a command line on spaces, the way a test writes an argv.
func exec(_ commandLine: String, program: String? = nil) -> Event {
    let argv = commandLine.split(separator: " ").map(String.init)
    return .exec(program: program ?? "/usr/bin/" + argv[0], argv: argv)
}

/// `sh -c SCRIPT`, the way agents run commands.
func shell(_ script: String, shell: String = "sh", flag: String = "-c") -> Event {
    .exec(program: "/bin/" + shell, argv: [shell, flag, script])
}

func connect(_ address: String, _ port: UInt16, host: String? = nil) -> Event {
    .network(address: IPAddress(address)!, port: port, host: host)
}

func file(_ path: String, _ access: FileAccess = .read) -> Event {
    .file(path: path, requestedPath: nil, access: access)
}

/// A scratch directory for policy files, removed when the test's closure returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
    let directory = FileManager.default.temporaryDirectory.appending(path: "afw-policy-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}
