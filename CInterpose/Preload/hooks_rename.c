/*
 * hooks_rename.c: calls that give a file a new name (rename and hard links). A path rule
 * knows a secret by its name; `mv .env notes.txt` or `ln .env notes.txt` would otherwise
 * make it readable under a name no rule knows. Decided in check_file.c, then made through
 * the gadget page like every decided call.
 *
 * Contract: a denied call returns -1 with errno EACCES.
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim.h"

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

AFW_EXPORT int rename(const char *old_path, const char *new_path) {
    if (!afw_shim_busy() && afw_check_new_name("rename", AT_FDCWD, old_path, AT_FDCWD, new_path, false, false) != 0) {
        return -1;
    }
    return (int)afw_direct_syscall(SYS_renameat2, AT_FDCWD, (long)old_path, AT_FDCWD, (long)new_path, 0, 0);
}

AFW_EXPORT int renameat(int old_dirfd, const char *old_path, int new_dirfd, const char *new_path) {
    if (!afw_shim_busy() && afw_check_new_name("renameat", old_dirfd, old_path, new_dirfd, new_path, false, false) != 0) {
        return -1;
    }
    return (int)afw_direct_syscall(SYS_renameat2, old_dirfd, (long)old_path, new_dirfd, (long)new_path, 0, 0);
}

AFW_EXPORT int renameat2(int old_dirfd, const char *old_path, int new_dirfd, const char *new_path, unsigned int flags) {
    if (!afw_shim_busy() && afw_check_new_name("renameat2", old_dirfd, old_path, new_dirfd, new_path, false,
                                               (flags & RENAME_EXCHANGE) != 0) != 0) {
        return -1;
    }
    return (int)afw_direct_syscall(SYS_renameat2, old_dirfd, (long)old_path, new_dirfd, (long)new_path, flags, 0);
}

AFW_EXPORT int link(const char *old_path, const char *new_path) {
    if (!afw_shim_busy() && afw_check_new_name("link", AT_FDCWD, old_path, AT_FDCWD, new_path, false, false) != 0) {
        return -1;
    }
    return (int)afw_direct_syscall(SYS_linkat, AT_FDCWD, (long)old_path, AT_FDCWD, (long)new_path, 0, 0);
}

AFW_EXPORT int linkat(int old_dirfd, const char *old_path, int new_dirfd, const char *new_path, int flags) {
    if (!afw_shim_busy() && afw_check_linkat("linkat", old_dirfd, old_path, new_dirfd, new_path, flags) != 0) {
        return -1;
    }
    return (int)afw_direct_syscall(SYS_linkat, old_dirfd, (long)old_path, new_dirfd, (long)new_path, flags, 0);
}
