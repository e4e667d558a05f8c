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

int afw_path_resolve_plain(const char *absolute, bool follow_last, char *out, size_t out_size) {
    if (absolute == NULL || absolute[0] != '/') {
        return AFW_E_INVALID;
    }
    struct open_how how = {
        .flags = O_PATH | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW),
        .resolve = RESOLVE_NO_SYMLINKS,
    };
    int saved_errno = errno;
    long fd = syscall(SYS_openat2, AT_FDCWD, absolute, &how, sizeof how);
    if (fd >= 0) {
        close((int)fd);
    } else if (errno != ENOENT) {
        /* ELOOP (a symlink), ENOSYS (a kernel before 5.6), a seccomp filter's EPERM,
         * ENOTDIR...: afw_path_resolve decides those. */
        errno = saved_errno;
        return AFW_E_SYS;
    }
    /* ENOENT: the walk reached a missing name without meeting a symlink, so the longest
     * existing prefix, which afw_path_resolve resolves before appending the rest, is
     * itself free of symlinks. */
    errno = saved_errno;
    return afw_path_lexical("/", absolute, out, out_size);
}
