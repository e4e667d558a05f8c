/*
 * hooks_change.c: calls that change a file without opening it. `rm .env` or `truncate -s 0`
 * on a file the policy guards is a write to it, decided like one (check_file.c), then made
 * through the gadget page like every decided call.
 *
 * Contract: a denied call returns -1 with errno EACCES.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

AFW_EXPORT int unlink(const char *path) {
    if (!afw_shim_busy() && afw_check_change("unlink", AT_FDCWD, path, false) != 0) {
        return -1;
    }
    return (int)afw_direct_syscall(SYS_unlinkat, AT_FDCWD, (long)path, 0, 0, 0, 0);
}

AFW_EXPORT int unlinkat(int dirfd, const char *path, int flags) {
    if (!afw_shim_busy() && afw_check_change("unlinkat", dirfd, path, false) != 0) {
        return -1;
    }
    return (int)afw_direct_syscall(SYS_unlinkat, dirfd, (long)path, flags, 0, 0, 0);
}

AFW_EXPORT int rmdir(const char *path) {
    if (!afw_shim_busy() && afw_check_change("rmdir", AT_FDCWD, path, false) != 0) {
        return -1;
    }
    return (int)afw_direct_syscall(SYS_unlinkat, AT_FDCWD, (long)path, AT_REMOVEDIR, 0, 0, 0);
}

AFW_EXPORT int truncate(const char *path, off_t length) {
    if (!afw_shim_busy() && afw_check_change("truncate", AT_FDCWD, path, true) != 0) {
        return -1;
    }
    return (int)afw_direct_syscall(SYS_truncate, (long)path, (long)length, 0, 0, 0, 0);
}

AFW_EXPORT int truncate64(const char *path, off_t length) {
    if (!afw_shim_busy() && afw_check_change("truncate64", AT_FDCWD, path, true) != 0) {
        return -1;
    }
    return (int)afw_direct_syscall(SYS_truncate, (long)path, (long)length, 0, 0, 0, 0);
}

/* remove() is unlink, or rmdir for a directory (glibc calls its internal unlink, which no
 * hook sees). */
AFW_EXPORT int remove(const char *path) {
    if (!afw_shim_busy() && afw_check_change("remove", AT_FDCWD, path, false) != 0) {
        return -1;
    }
    if (afw_direct_syscall(SYS_unlinkat, AT_FDCWD, (long)path, 0, 0, 0, 0) == 0) {
        return 0;
    }
    return errno == EISDIR ? (int)afw_direct_syscall(SYS_unlinkat, AT_FDCWD, (long)path, AT_REMOVEDIR, 0, 0, 0) : -1;
}
