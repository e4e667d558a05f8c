import Foundation
import PackagePlugin

/// Bakes policies/*.yaml into the target as Swift source, so that `swift build` alone puts the
/// built-in packs into the binary and no pack file can go missing or drift at run time.
@main
struct EmbedPolicies: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let policies = context.package.directoryURL.appending(path: "policies")
        let packs = try FileManager.default.contentsOfDirectory(at: policies, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "yaml" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        let output = context.pluginWorkDirectoryURL.appending(path: "BuiltinPacks+Embedded.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(packs.count) policy packs",
                executable: try context.tool(named: "EmbedPoliciesTool").url,
                arguments: [output.path] + packs.map(\.path),
                inputFiles: packs,
                outputFiles: [output]
            ),
        ]
    }
}
