/*
 * hooks_open.c: every libc entry point that opens a file by name. The fortified variants
 * (__open_2 and friends, used by programs built with _FORTIFY_SOURCE) and the *64 aliases
 * are separate symbols, and fopen/freopen reach the kernel through libc's internal open,
 * which no hook of open sees: each needs its own hook. Decided opens are made through the
 * gadget page (direct_syscall.c).
 *
 * Contract of every hook: while this thread is inside the shim, pass to libc; otherwise
 * afw_check_open decides, and a denied call fails with errno EACCES (-1 or NULL).
 */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real_symbols.h"
#include "shim.h"

int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);

/* The mode argument exists only when the flags create a file. */
#define MODE_ARGUMENT(flags, last)                                     \
    ({                                                                 \
        mode_t mode_ = 0;                                              \
        if (((flags) & O_CREAT) || ((flags) & O_TMPFILE) == O_TMPFILE) { \
            va_list arguments_;                                        \
            va_start(arguments_, last);                                \
            mode_ = (mode_t)va_arg(arguments_, int);                   \
            va_end(arguments_);                                        \
        }                                                              \
        mode_;                                                         \
    })

/* Makes the open once it is decided (or when this thread is inside the shim), through the
 * gadget page so that the backstop does not decide it a second time. */
static int open_decided(int dirfd, const char *path, int flags, mode_t mode) {
    long fd = afw_direct_syscall(SYS_openat, dirfd, (long)path, flags, (long)mode, 0, 0);
    /* Inside dlsym (which may open a file) and without the gadget, syscall() itself cannot
     * be looked up yet. */
    if (fd < 0 && errno == ENOSYS && afw_real_symbol(AFW_REAL_ID_syscall) == NULL) {
        return afw_open_while_resolving(dirfd, path, flags, mode);
    }
    return (int)fd;
}

/* The allowed open, made so that it opens the file decided. When the check met no symlink,
 * the open follows none either (openat2, RESOLVE_NO_SYMLINKS): a symlink swapped in since
 * makes it fail with ELOOP, and only then is the open made the plain way and confirmed by
 * naming the file it got (afw_confirm_open: a readlink, a third of a hooked open's cost). */
static int open_checked(const char *op, int dirfd, const char *path, int flags, mode_t mode,
                        const struct afw_open_check *checked) {
    if (checked->path[0] != '\0' && checked->symlink_free) {
        bool creates = (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
        struct open_how how = {
            .flags = (uint64_t)(unsigned)flags,
            .mode = creates ? mode : 0,
            .resolve = RESOLVE_NO_SYMLINKS,
        };
        long fd = afw_direct_syscall(SYS_openat2, dirfd, (long)path, (long)&how, sizeof how, 0, 0);
        /* EINVAL: flags openat2 refuses where open ignores them; ENOSYS, E2BIG: before 5.6. */
        if (fd >= 0 || (errno != ELOOP && errno != EINVAL && errno != ENOSYS && errno != E2BIG)) {
            return (int)fd;
        }
    }
    return afw_confirm_open(op, open_decided(dirfd, path, flags, mode), flags, checked);
}

static int open_hook(const char *op, int dirfd, const char *path, int flags, mode_t mode) {
    if (afw_shim_busy()) {
        return open_decided(dirfd, path, flags, mode);
    }
    struct afw_open_check checked;
    if (afw_check_open(op, dirfd, path, flags, &checked) != 0) {
        return -1;
    }
    return open_checked(op, dirfd, path, flags, mode, &checked);
}

AFW_EXPORT int open(const char *path, int flags, ...) {
    return open_hook("open", AT_FDCWD, path, flags, MODE_ARGUMENT(flags, flags));
}

AFW_EXPORT int open64(const char *path, int flags, ...) {
    return open_hook("open64", AT_FDCWD, path, flags, MODE_ARGUMENT(flags, flags));
}

AFW_EXPORT int openat(int dirfd, const char *path, int flags, ...) {
    return open_hook("openat", dirfd, path, flags, MODE_ARGUMENT(flags, flags));
}

AFW_EXPORT int openat64(int dirfd, const char *path, int flags, ...) {
    return open_hook("openat64", dirfd, path, flags,
                     MODE_ARGUMENT(flags, flags));
}

AFW_EXPORT int __open_2(const char *path, int flags) {
    return open_hook("__open_2", AT_FDCWD, path, flags, 0);
}

AFW_EXPORT int __open64_2(const char *path, int flags) {
    return open_hook("__open64_2", AT_FDCWD, path, flags, 0);
}

AFW_EXPORT int __openat_2(int dirfd, const char *path, int flags) {
    return open_hook("__openat_2", dirfd, path, flags, 0);
}

AFW_EXPORT int __openat64_2(int dirfd, const char *path, int flags) {
    return open_hook("__openat64_2", dirfd, path, flags, 0);
}

/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode). */
AFW_EXPORT int creat(const char *path, mode_t mode) {
    return open_hook("creat", AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

AFW_EXPORT int creat64(const char *path, mode_t mode) {
    return open_hook("creat64", AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

/* fopen opens through libc's internal open, which the backstop would decide a second time:
 * open here through the gadget and wrap the descriptor. A mode with ",ccs=" (a wide-character
 * stream's encoding, which only fopen sets up) goes to libc's fopen. */
static FILE *fopen_hook(const char *op, enum afw_real_id id, const char *path, const char *mode) {
    int flags = afw_open_flags_for_mode(mode);
    struct afw_open_check checked = {.path = ""};
    if (!afw_shim_busy() && flags >= 0 && afw_check_open(op, AT_FDCWD, path, flags, &checked) != 0) {
        return NULL;
    }
    if (path != NULL && flags >= 0 && strchr(mode, ',') == NULL) {
        int fd = open_checked(op, AT_FDCWD, path, flags, 0666, &checked);
        if (fd < 0) {
            return NULL;
        }
        FILE *stream = fdopen(fd, mode);
        if (stream == NULL) {
            int saved = errno;
            close(fd);
            errno = saved;
        }
        return stream;
    }
    FILE *(*real)(const char *, const char *) = (FILE * (*)(const char *, const char *)) afw_real_symbol(id);
    if (real == NULL) {
        errno = ENOSYS;
        return NULL;
    }
    return real(path, mode);
}

AFW_EXPORT FILE *fopen(const char *path, const char *mode) {
    return fopen_hook("fopen", AFW_REAL_ID_fopen, path, mode);
}

AFW_EXPORT FILE *fopen64(const char *path, const char *mode) {
    return fopen_hook("fopen64", AFW_REAL_ID_fopen64, path, mode);
}

/* freopen with a NULL path reopens the stream's own file under a new mode. */
static FILE *freopen_hook(const char *op, enum afw_real_id id, const char *path, const char *mode, FILE *stream) {
    if (!afw_shim_busy()) {
        int verdict = path != NULL ? afw_check_fopen(op, path, mode)
                                   : afw_check_fd_reopen(op, stream != NULL ? fileno(stream) : -1, mode);
        if (verdict != 0) {
            return NULL;
        }
    }
    FILE *(*real)(const char *, const char *, FILE *) = (FILE * (*)(const char *, const char *, FILE *))
        afw_real_symbol(id);
    if (real == NULL) {
        errno = ENOSYS;
        return NULL;
    }
    return real(path, mode, stream);
}

AFW_EXPORT FILE *freopen(const char *path, const char *mode, FILE *stream) {
    return freopen_hook("freopen", AFW_REAL_ID_freopen, path, mode, stream);
}

AFW_EXPORT FILE *freopen64(const char *path, const char *mode, FILE *stream) {
    return freopen_hook("freopen64", AFW_REAL_ID_freopen64, path, mode, stream);
}
