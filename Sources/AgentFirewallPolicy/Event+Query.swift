import CInterposeCore
import Glibc

extension Event {
    /// The event the shim would report for opening `path` (absolute) on this machine: `..`
    /// folded, symlinks resolved where the file exists, the name as written kept when it
    /// differs. For `policy explain` and `policy test`.
    public static func file(opening path: String, access: FileAccess) -> Event {
        var lexical = [CChar](repeating: 0, count: Int(PATH_MAX))
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX))
        guard afw_path_lexical("/", path, &lexical, lexical.count) == AFW_OK else {
            return .file(path: path, requestedPath: nil, access: access)
        }
        let requested = String(nulTerminated: lexical)
        guard afw_path_resolve(requested, true, &resolved, resolved.count) == AFW_OK else {
            return .file(path: requested, requestedPath: nil, access: access)
        }
        let path = String(nulTerminated: resolved)
        return .file(path: path, requestedPath: path == requested ? nil : requested, access: access)
    }

    /// A connect to `address`, or to a host name whose address is not known (address rules
    /// then see 0.0.0.0, which only a rule for 0.0.0.0/0 matches).
    public static func connecting(host: String?, address: IPAddress?, port: UInt16) -> Event {
        .network(address: address ?? IPAddress(family: 4, bytes: [0, 0, 0, 0]), port: port, host: host)
    }
}
