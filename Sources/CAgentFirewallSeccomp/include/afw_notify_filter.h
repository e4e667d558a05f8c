/*
 * afw_notify_filter.h: the backstop's notifying filter. Every process of the agent runs under
 * it: each open, exec, connect, addressed send, rename, hard link, unlink and truncate reaches the supervisor as a seccomp user
 * notification, except what cannot leak anything (opens with O_PATH or O_DIRECTORY and no
 * write, create or truncate) and, in the standard mode, what the shim has already decided
 * (calls made from its gadget page, AFW_GADGET_ADDRESS). Raw BPF: libseccomp cannot compare
 * the instruction pointer.
 */
#ifndef AFW_NOTIFY_FILTER_H
#define AFW_NOTIFY_FILTER_H

#include <stdbool.h>

/* Installs the filter on the CALLING THREAD (no_new_privs must already be set) and returns
 * its listener descriptor (close-on-exec), or a negative errno: -EBUSY when a filter above
 * this process already has a listener (agentfirewall running under agentfirewall), -ENOSYS
 * or -EINVAL where the kernel lacks user notification. With exempt_gadget false (paranoid)
 * even the shim's own calls are notified. */
int afw_notify_filter_install(bool exempt_gadget);

#endif
