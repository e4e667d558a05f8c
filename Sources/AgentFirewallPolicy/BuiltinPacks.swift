/// The policy packs of policies/*.yaml, baked into the binary at build time by the
/// EmbedPolicies plugin, so the executable needs no files beside it and `policy show` prints
/// exactly what `run` enforces.
public enum BuiltinPacks {
    /// Pack names in file-name order: ["default", "strict"].
    public static let names: [String] = embeddedPacks.map(\.name)

    /// The pack's YAML, byte for byte as policies/NAME.yaml; nil for an unknown name.
    public static func source(named name: String) -> String? {
        embeddedPacks.first { $0.name == name }?.text
    }
}
