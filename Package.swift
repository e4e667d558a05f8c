// swift-tools-version:6.0
import PackageDescription

// Compiled into a library that is preloaded into every agent process: hide every symbol
// by default so that only the hooks (marked AFW_EXPORT) are exported.
let preloadCSettings: [CSetting] = [
    .unsafeFlags(["-fvisibility=hidden", "-fno-strict-aliasing", "-Wall", "-Wextra", "-Wno-unused-parameter"]),
    .define("_GNU_SOURCE"),
]

let package = Package(
    name: "agentfirewall",
    products: [
        .executable(name: "agentfirewall", targets: ["agentfirewall"]),
        // Becomes .build/<config>/libagentfirewall-preload.so.
        .library(name: "agentfirewall-preload", type: .dynamic, targets: ["AgentFirewallPreload"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .executableTarget(
            name: "agentfirewall",
            dependencies: ["AgentFirewallCommands"]
        ),
        .target(
            name: "AgentFirewallCommands",
            dependencies: [
                "AgentFirewallSupervisor",
                "AgentFirewallPolicy",
                "AgentFirewallAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "AgentFirewallSupervisor",
            dependencies: ["AgentFirewallPolicy", "AgentFirewallOS", "CInterposeCore", "CAgentFirewallABI", "CAgentFirewallSeccomp"]
        ),
        // Reads audit files: a streaming JSON-line reader, the record -> event rebuild that
        // `replay` decides with the one Engine, the replay diff, summaries and OCSF export.
        // Pure: no process, no file named in the audit is touched.
        .target(
            name: "AgentFirewallAudit",
            dependencies: ["AgentFirewallPolicy", "CInterposeCore", "CAgentFirewallABI"]
        ),
        .target(
            name: "AgentFirewallPolicy",
            dependencies: ["CInterposeCore", "CAgentFirewallABI", "Yams"],
            plugins: ["EmbedPolicies"]
        ),
        // Bakes policies/*.yaml into AgentFirewallPolicy at build time (BuiltinPacks).
        .plugin(name: "EmbedPolicies", capability: .buildTool(), dependencies: ["EmbedPoliciesTool"]),
        .executableTarget(name: "EmbedPoliciesTool"),
        .target(
            name: "AgentFirewallOS",
            dependencies: ["CAgentFirewallOSShim", "CAgentFirewallSeccomp"]
        ),
        // What Swift cannot call directly: variadic syscall(), futex, and the few macros the
        // supervisor needs. Kept tiny; see the header for why each function exists.
        .target(name: "CAgentFirewallOSShim", path: "Sources/CAgentFirewallOSShim"),
        // libseccomp for the supervisor's backstop filter (libseccomp-dev, see scripts/setup).
        // Only AgentFirewallOS links it: the preload library must stay libc-only.
        .target(
            name: "CAgentFirewallSeccomp",
            dependencies: ["CInterposeCore"],
            cSettings: [.define("_GNU_SOURCE")],
            linkerSettings: [.linkedLibrary("seccomp")]
        ),
        // The one header that fixes the shared-memory layout, shared by the shim and Swift.
        .target(name: "CAgentFirewallABI"),
        // Testable C logic of the shim: globs, CIDRs, the compiled-table evaluator, exec
        // unwrapping, path normalisation, event encoding and the ring protocol. No hooks.
        .target(
            name: "CInterposeCore",
            dependencies: ["CAgentFirewallABI"],
            path: "CInterpose/Core",
            cSettings: preloadCSettings
        ),
        // The exported hooks. Linked only into libagentfirewall-preload.so, never into a
        // Swift test or executable (the hooks would interpose on the test process itself).
        .target(
            name: "AgentFirewallPreload",
            dependencies: ["CInterposeCore", "CAgentFirewallABI"],
            path: "CInterpose/Preload",
            cSettings: preloadCSettings,
            // SwiftPM links every product with swiftc, which would add libswiftCore and a
            // Swift load-time constructor; Embedded mode links a plain C library (libc only).
            linkerSettings: [.unsafeFlags(["-enable-experimental-feature", "Embedded"])]
        ),
        .testTarget(name: "AgentFirewallPolicyTests", dependencies: ["AgentFirewallPolicy"]),
        .testTarget(name: "CInterposeCoreTests", dependencies: ["CInterposeCore", "CAgentFirewallABI"]),
        .testTarget(name: "AgentFirewallSupervisorTests", dependencies: ["AgentFirewallSupervisor", "AgentFirewallOS"]),
        // The supervisor's AuditWriter writes the lines these tests read back.
        .testTarget(name: "AgentFirewallAuditTests", dependencies: ["AgentFirewallAudit", "AgentFirewallSupervisor"]),
        .testTarget(name: "IntegrationTests", dependencies: ["AgentFirewallPolicy"]),
    ]
)
