/*
 * hooks_open.c: every libc entry point that opens a file by name. The fortified variants
 * (__open_2 and friends, used by programs built with _FORTIFY_SOURCE) and the *64 aliases
 * are separate symbols, and fopen/freopen reach the kernel through libc's internal open,
 * which no hook of open sees: each needs its own hook.
 *
 * Contract of every hook: while this thread is inside the shim, pass to libc; otherwise
 * afw_check_open decides, and a denied call fails with errno EACCES (-1 or NULL).
 */
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>

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

/* Which real function to call, by signature. */
enum open_shape {
    SHAPE_OPEN,          /* (path, flags, mode) */
    SHAPE_OPENAT,        /* (dirfd, path, flags, mode) */
    SHAPE_OPEN_FORTIFY,  /* (path, flags) */
    SHAPE_OPENAT_FORTIFY /* (dirfd, path, flags) */
};

static int open_hook(const char *op, enum afw_real_id id, enum open_shape shape, int dirfd, const char *path,
                     int flags, mode_t mode) {
    if (!afw_shim_busy() && afw_check_open(op, dirfd, path, flags) != 0) {
        return -1;
    }
    void *real = afw_real_symbol(id);
    if (real == NULL) {
        return afw_open_while_resolving(dirfd, path, flags, mode);
    }
    switch (shape) {
    case SHAPE_OPEN:
        return ((int (*)(const char *, int, ...))real)(path, flags, mode);
    case SHAPE_OPENAT:
        return ((int (*)(int, const char *, int, ...))real)(dirfd, path, flags, mode);
    case SHAPE_OPEN_FORTIFY:
        return ((int (*)(const char *, int))real)(path, flags);
    default:
        return ((int (*)(int, const char *, int))real)(dirfd, path, flags);
    }
}

AFW_EXPORT int open(const char *path, int flags, ...) {
    return open_hook("open", AFW_REAL_ID_open, SHAPE_OPEN, AT_FDCWD, path, flags, MODE_ARGUMENT(flags, flags));
}

AFW_EXPORT int open64(const char *path, int flags, ...) {
    return open_hook("open64", AFW_REAL_ID_open64, SHAPE_OPEN, AT_FDCWD, path, flags, MODE_ARGUMENT(flags, flags));
}

AFW_EXPORT int openat(int dirfd, const char *path, int flags, ...) {
    return open_hook("openat", AFW_REAL_ID_openat, SHAPE_OPENAT, dirfd, path, flags, MODE_ARGUMENT(flags, flags));
}

AFW_EXPORT int openat64(int dirfd, const char *path, int flags, ...) {
    return open_hook("openat64", AFW_REAL_ID_openat64, SHAPE_OPENAT, dirfd, path, flags,
                     MODE_ARGUMENT(flags, flags));
}

AFW_EXPORT int __open_2(const char *path, int flags) {
    return open_hook("__open_2", AFW_REAL_ID___open_2, SHAPE_OPEN_FORTIFY, AT_FDCWD, path, flags, 0);
}

AFW_EXPORT int __open64_2(const char *path, int flags) {
    return open_hook("__open64_2", AFW_REAL_ID___open64_2, SHAPE_OPEN_FORTIFY, AT_FDCWD, path, flags, 0);
}

AFW_EXPORT int __openat_2(int dirfd, const char *path, int flags) {
    return open_hook("__openat_2", AFW_REAL_ID___openat_2, SHAPE_OPENAT_FORTIFY, dirfd, path, flags, 0);
}

AFW_EXPORT int __openat64_2(int dirfd, const char *path, int flags) {
    return open_hook("__openat64_2", AFW_REAL_ID___openat64_2, SHAPE_OPENAT_FORTIFY, dirfd, path, flags, 0);
}

/* creat(path, mode) is open(path, O_CREAT|O_WRONLY|O_TRUNC, mode). */
AFW_EXPORT int creat(const char *path, mode_t mode) {
    if (!afw_shim_busy() && afw_check_open("creat", AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC) != 0) {
        return -1;
    }
    int (*real)(const char *, mode_t) = AFW_REAL(creat);
    return real != NULL ? real(path, mode) : afw_open_while_resolving(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

AFW_EXPORT int creat64(const char *path, mode_t mode) {
    if (!afw_shim_busy() && afw_check_open("creat64", AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC) != 0) {
        return -1;
    }
    int (*real)(const char *, mode_t) = AFW_REAL(creat64);
    return real != NULL ? real(path, mode) : afw_open_while_resolving(AT_FDCWD, path, O_CREAT | O_WRONLY | O_TRUNC, mode);
}

static FILE *fopen_hook(const char *op, enum afw_real_id id, const char *path, const char *mode) {
    if (!afw_shim_busy() && afw_check_fopen(op, path, mode) != 0) {
        return NULL;
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
