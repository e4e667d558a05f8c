/// One normalised call, as the shim reports it and as `policy explain` and `replay` build it.
public enum Event: Sendable, Equatable {
    /// `path` is resolved (symlinks followed); `requestedPath` is the absolute path as written,
    /// before symlinks, or nil when it is the same. A rule matches either, so a symlink named
    /// innocently cannot hide a secret and a secret's name cannot be hidden behind a link.
    case file(path: String, requestedPath: String?, access: FileAccess)
    /// `program` is absolute (after PATH search); `argv` as the program receives it.
    case exec(program: String, argv: [String])
    /// `host` is the name the process resolved to this address, when the shim saw it.
    case network(address: IPAddress, port: UInt16, host: String?)

    public var surface: Surface {
        switch self {
        case .file: .file
        case .exec: .exec
        case .network: .network
        }
    }
}
