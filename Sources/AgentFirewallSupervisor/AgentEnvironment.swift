import CAgentFirewallABI

/// The agent's environment: ours, with the preload library in front of LD_PRELOAD and the
/// variables that lead the shim to this run's segment.
public enum AgentEnvironment {
    public static func build(
        inherited: [[UInt8]], preloadLibrary: String, segmentName: String, backstop: BackstopMode? = nil
    ) -> [[UInt8]] {
        let ldPreloadPrefix = Array("LD_PRELOAD=".utf8)
        let firewallPrefix = Array(AFW_ENV_PREFIX.utf8)
        var existingPreload: [UInt8] = []
        var environment: [[UInt8]] = []
        for entry in inherited {
            if entry.starts(with: ldPreloadPrefix) {
                existingPreload = Array(entry.dropFirst(ldPreloadPrefix.count))
            } else if !entry.starts(with: firewallPrefix) {
                // AGENTFIREWALL_* belong to this run alone: inherited ones (an outer run's, or
                // ones the caller set) must not point the shim at another segment.
                environment.append(entry)
            }
        }
        // Ours first, so the shim's hooks come before any other preloaded library's; the
        // others stay (an agent may need them), minus a second copy of ours.
        let library = Array(preloadLibrary.utf8)
        let others = existingPreload.split(whereSeparator: { $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: " ") })
            .filter { !$0.elementsEqual(library) }
        var preload = ldPreloadPrefix + library
        for other in others { preload += [UInt8(ascii: ":")] + other }
        environment.append(preload)
        environment.append(Array("\(AFW_ENV_SHM)=\(segmentName)".utf8))
        environment.append(Array("\(AFW_ENV_PRELOAD_PATH)=\(preloadLibrary)".utf8))
        if let backstop {
            // Standard: the shim makes its decided calls from the gadget page. Paranoid: it
            // leaves every decision to the supervisor. Unset: it warns about static binaries.
            environment.append(Array("\(AFW_ENV_BACKSTOP)=\(backstop.environmentValue)".utf8))
        }
        return environment
    }
}
