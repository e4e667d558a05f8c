import AgentFirewallOS
import CAgentFirewallABI

/// Finds libagentfirewall-preload.so: $AGENTFIREWALL_PRELOAD when set, else next to the
/// agentfirewall executable (where `swift build` puts both).
public enum PreloadLibrary {
    public static let fileName = "libagentfirewall-preload.so"

    public static func locate(workingDirectory: String) throws(SupervisorError) -> String {
        let path: String
        if let configured = CurrentProcess.environmentValue(AFW_ENV_PRELOAD_PATH), !configured.isEmpty {
            // ld.so resolves a relative LD_PRELOAD entry against each process's own cwd.
            path = configured.hasPrefix("/") ? configured : workingDirectory + "/" + configured
        } else {
            let executable: String
            do {
                executable = try CurrentProcess.executablePath()
            } catch {
                throw SupervisorError(.system, "cannot find the agentfirewall executable (\(error)); set \(AFW_ENV_PRELOAD_PATH) to the path of \(fileName)", cause: error)
            }
            path = String(executable[..<(executable.lastIndex(of: "/") ?? executable.startIndex)]) + "/" + fileName
        }
        guard FileSystem.isReadableFile(path) else {
            throw SupervisorError(.preloadLibraryMissing, "the preload library \(path) is missing; build it with `swift build -c release` (it lands next to the agentfirewall executable) or set \(AFW_ENV_PRELOAD_PATH) to its path")
        }
        // ld.so splits LD_PRELOAD at ':' and ' ': such a path would preload fragments of it,
        // and the agent would run unprotected.
        guard !path.contains(":"), !path.contains(" ") else {
            throw SupervisorError(.preloadLibraryMissing, "the preload library path \(path) contains ':' or a space, which LD_PRELOAD cannot carry; move the library or set \(AFW_ENV_PRELOAD_PATH) to a path without them")
        }
        return path
    }
}
