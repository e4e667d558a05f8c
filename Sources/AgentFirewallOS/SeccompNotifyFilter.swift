import CAgentFirewallSeccomp

/// The backstop's notifying filter: the calls it covers wait in the kernel until whoever
/// holds the listener descriptor answers them (seccomp user notification).
public enum SeccompNotifyFilter {
    /// Installs the filter on the calling thread, which must already have no_new_privs
    /// (`SeccompFilter.loadOnCurrentThread` sets it), and returns the listener descriptor
    /// (close-on-exec). With `exemptingShimGadget`, calls made from the shim's gadget page
    /// pass unasked: the shim decided them already.
    public static func installOnCurrentThread(exemptingShimGadget: Bool) throws(OSError) -> Int32 {
        let result = afw_notify_filter_install(exemptingShimGadget)
        if result < 0 { throw OSError(call: "seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)", errno: -result) }
        return result
    }
}
