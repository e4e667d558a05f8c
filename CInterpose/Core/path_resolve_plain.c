/*
 * path_resolve_plain.c: the common case of afw_path_resolve in two syscalls instead of
 * three. Reading /proc/self/fd/N back is the dearest step of a hooked open (a procfs walk
 * and a d_path, ~3 us on a VM, more than the open itself). A path on which the kernel meets
 * no symlink needs no read-back: with no symlink to follow, each ".." goes to the real parent
 * of a real directory, so the kernel's answer is the lexical form of the path. One
 * openat2(RESOLVE_NO_SYMLINKS) proves there is none: it fails with ELOOP at the first
 * symlink or magic link, before following it.
 *
 * Inside the preload library the syscall() below reaches our own hook, whose per-thread
 * re-entrancy guard passes it straight to libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "afw_core.h"

/* Set once an openat2 has opened something in this process. A seccomp filter (a container
 * runtime's profile) may fail every openat2 with any errno it likes, ENOENT included, and a
 * filter cannot see the path: so an ENOENT means "missing" only in a process where the call
 * has been seen to work. Filters are inherited and never removed, so a fork keeps the flag. */
static int openat2_seen_working;

int afw_path_resolve_plain(const char *absolute, bool follow_last, char *out, size_t out_size, bool *exists) {
    if (absolute == NULL || absolute[0] != '/' || exists == NULL) {
        return AFW_E_INVALID;
    }
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW),
        .resolve = RESOLVE_NO_SYMLINKS,
    };
    int saved_errno = errno;
    long fd = syscall(SYS_openat2, AT_FDCWD, absolute, &how, sizeof how);
    int open_errno = errno;
    errno = saved_errno;
    if (fd >= 0) {
        close((int)fd);
        __atomic_store_n(&openat2_seen_working, 1, __ATOMIC_RELAXED);
        *exists = true;
        return afw_path_lexical("/", absolute, out, out_size);
    }
    /* ENOENT: the walk reached a missing name without meeting a symlink, so the longest
     * existing prefix, which afw_path_resolve resolves before appending the rest, is itself
     * free of symlinks. Anything else (ELOOP at a symlink, ENOSYS before Linux 5.6, a
     * filter's EPERM, ENOTDIR...) is afw_path_resolve's to answer. */
    if (open_errno == ENOENT && __atomic_load_n(&openat2_seen_working, __ATOMIC_RELAXED)) {
        *exists = false;
        return afw_path_lexical("/", absolute, out, out_size);
    }
    return AFW_E_SYS;
}
