/*
 * path_resolve.c: the path the kernel would really open. Lexical normalisation alone is not
 * enough for a security decision: "notes -> ../.env" reads .env, and /proc/self/cwd or
 * /proc/self/fd/N are magic links the kernel follows. So the path is opened with O_PATH
 * (no read permission needed, no side effects, devices and FIFOs are not opened) and the
 * kernel is asked where it landed, through /proc/self/fd/N.
 *
 * Inside the preload library the open() below reaches our own hook, whose per-thread
 * re-entrancy guard passes it straight to libc.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "afw_core.h"

/* open() follows at most 40 symlinks (ELOOP); a chain of dangling links is followed by
 * hand below, with the same limit. */
#define AFW_SYMLINK_HOPS 40

/* readlink("/proc/self/fd/N") into out, NUL-terminated. */
static int read_fd_path(int fd, char *out, size_t out_size) {
    char link[32] = "/proc/self/fd/";
    char digits[12];
    size_t digit_count = 0;
    unsigned value = (unsigned)fd;
    do {
        digits[digit_count++] = (char)('0' + value % 10);
        value /= 10;
    } while (value != 0);
    size_t at = strlen(link);
    while (digit_count > 0) {
        link[at++] = digits[--digit_count];
    }
    link[at] = '\0';
    if (out_size == 0) {
        return AFW_E_TOO_LONG;
    }
    ssize_t length = readlink(link, out, out_size);
    if (length < 0) {
        return AFW_E_SYS;
    }
    if ((size_t)length >= out_size) {
        return AFW_E_TOO_LONG;
    }
    out[length] = '\0';
    /* Sockets, pipes and anonymous inodes read back as "socket:[N]" and the like: no path
     * to start from. */
    return out[0] == '/' ? AFW_OK : AFW_E_INVALID;
}

int afw_path_absolute(int dirfd, const char *path, char *out, size_t out_size) {
    if (path == NULL) {
        return AFW_E_INVALID;
    }
    if (path[0] == '/') {
        return afw_path_lexical("/", path, out, out_size);
    }
    char base[PATH_MAX];
    if (dirfd == AT_FDCWD) {
        if (getcwd(base, sizeof base) == NULL) {
            return errno == ERANGE ? AFW_E_TOO_LONG : AFW_E_SYS;
        }
    } else {
        if (dirfd < 0) {
            return AFW_E_INVALID;
        }
        int status = read_fd_path(dirfd, base, sizeof base);
        if (status != AFW_OK) {
            return status;
        }
    }
    return afw_path_lexical(base, path, out, out_size);
}

static int open_path(const char *path, bool follow_last) {
    return open(path, O_PATH | O_CLOEXEC | (follow_last ? 0 : O_NOFOLLOW));
}

static int read_and_close(int fd, char *out, size_t out_size) {
    int status = read_fd_path(fd, out, out_size);
    int saved_errno = errno;
    close(fd);
    errno = saved_errno;
    return status;
}

/* The final component does not exist: the file is about to be created (or the call will
 * fail). Resolve the longest prefix that exists and append the rest lexically, so that
 * "link-dir/new" is judged where the kernel would create it. The buffers are reused in
 * place: hooks run on the agent's threads, whose stacks may be small. */
static int resolve_missing(char *path, char *out, size_t out_size) {
    char base[PATH_MAX];
    size_t cut = strlen(path);
    for (;;) {
        char *slash = path + cut;
        while (slash > path && *--slash != '/') {
        }
        if (slash == path) {
            /* Only "/" is left, and it always exists. */
            return afw_path_lexical("/", path + 1, out, out_size);
        }
        *slash = '\0';
        int fd = open_path(path, true);
        int open_errno = errno;
        *slash = '/';
        if (fd >= 0) {
            int status = read_and_close(fd, base, sizeof base);
            if (status != AFW_OK) {
                return status;
            }
            return afw_path_lexical(base, slash + 1, out, out_size);
        }
        if (open_errno != ENOENT) {
            errno = open_errno;
            return open_errno == ENAMETOOLONG ? AFW_E_TOO_LONG : AFW_E_SYS;
        }
        cut = (size_t)(slash - path);
    }
}

int afw_path_resolve(const char *absolute, bool follow_last, char *out, size_t out_size) {
    if (absolute == NULL || absolute[0] != '/') {
        return AFW_E_INVALID;
    }
    char path[PATH_MAX];
    size_t length = strlen(absolute);
    if (length >= sizeof path) {
        return AFW_E_TOO_LONG;
    }
    memcpy(path, absolute, length + 1);
    for (int hops = 0; hops < AFW_SYMLINK_HOPS; hops++) {
        int fd = open_path(path, follow_last);
        if (fd >= 0) {
            return read_and_close(fd, out, out_size);
        }
        if (errno != ENOENT) {
            return errno == ENAMETOOLONG ? AFW_E_TOO_LONG : AFW_E_SYS;
        }
        if (!follow_last) {
            return resolve_missing(path, out, out_size);
        }
        /* A dangling symlink as the final component: O_CREAT through it creates its
         * target, so the target is what the call will touch. */
        char target[PATH_MAX];
        ssize_t target_length = readlink(path, target, sizeof target - 1);
        if (target_length <= 0) {
            return resolve_missing(path, out, out_size);
        }
        target[target_length] = '\0';
        char *slash = strrchr(path, '/');
        slash[slash == path ? 1 : 0] = '\0';
        char joined[PATH_MAX];
        int status = afw_path_lexical(path, target, joined, sizeof joined);
        if (status != AFW_OK) {
            return status;
        }
        memcpy(path, joined, strlen(joined) + 1);
    }
    errno = ELOOP;
    return AFW_E_SYS;
}
