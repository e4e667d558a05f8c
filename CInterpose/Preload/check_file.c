/*
 * check_file.c: turns an open-family call into a FILE event: the path as requested
 * (absolute, lexical) and as the kernel will resolve it (symlinks, /proc magic links), and
 * the access the flags ask for.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

/* Whether the named file exists, when resolving the path already found out (one syscall
 * less on every O_CREAT open), or that access() must be asked. */
enum presence {
    PRESENCE_ASK,
    PRESENCE_EXISTS,
    PRESENCE_MISSING,
};

static bool missing(const char *resolved, enum presence presence) {
    if (presence != PRESENCE_ASK) {
        return presence == PRESENCE_MISSING;
    }
    return access(resolved, F_OK) != 0 && errno == ENOENT;
}

/* Builds the two paths: requested (lexical, what the caller named) and the raw join of the
 * base and the path, which the kernel resolves: lexically dropping "link/.." would judge
 * another file than the one the kernel opens. Returns 1 when the call should simply go to
 * the kernel (a dirfd that is not a directory fails there), -1 to deny, 0 to decide. */
static int locate(int dirfd, const char *path, char *requested, char *raw, size_t size) {
    char base[PATH_MAX];
    if (path[0] == '/') {
        strcpy(base, "/");
    } else {
        int status = afw_path_absolute(dirfd, ".", base, sizeof base);
        if (status == AFW_E_INVALID) {
            return 1;
        }
        if (status != AFW_OK) {
            /* No base (a deleted cwd, a cwd too deep to name): the call cannot be judged,
             * so it is refused (fail closed). */
            return -1;
        }
    }
    if (afw_path_lexical(base, path, requested, size) != AFW_OK) {
        return -1;
    }
    int length = path[0] == '/' ? snprintf(raw, size, "%s", path) : snprintf(raw, size, "%s/%s", base, path);
    if (length < 0 || (size_t)length >= size) {
        strcpy(raw, requested);
    }
    return 0;
}

static int decide_open(const char *op, int dirfd, const char *path, int flags, uint64_t started_ns) {
    if (path == NULL) {
        return 0; /* the kernel answers EFAULT */
    }
    char requested[PATH_MAX];
    char resolved[PATH_MAX];
    int located = locate(dirfd, path, requested, resolved, sizeof requested);
    if (located != 0) {
        return located > 0 ? 0 : -1;
    }
    /* O_CREAT|O_EXCL never follows a final symlink (it fails with EEXIST instead). */
    bool follow_last = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
    char raw[PATH_MAX];
    memcpy(raw, resolved, strlen(resolved) + 1);
    enum presence presence = PRESENCE_ASK;
    bool exists;
    if (afw_path_resolve_plain(raw, follow_last, resolved, sizeof resolved, &exists) == AFW_OK) {
        /* access() follows a final symlink, which a NOFOLLOW open found and did not follow:
         * then only access() can say whether its target exists. */
        if (follow_last || !exists) {
            presence = exists ? PRESENCE_EXISTS : PRESENCE_MISSING;
        }
    } else if (afw_path_resolve(raw, follow_last, resolved, sizeof resolved) != AFW_OK) {
        /* Unresolvable (a component is not a directory, no permission to search it): the
         * kernel will fail the call the same way; judge it by the name it was given. */
        memcpy(resolved, requested, strlen(requested) + 1);
    }
    struct afw_event_view event = {
        .surface = AFW_SURFACE_FILE,
        .access = afw_access_for_open(flags, (flags & O_CREAT) && missing(resolved, presence)),
        .path = resolved,
        .requested_path = strcmp(requested, resolved) != 0 ? requested : NULL,
    };
    return afw_decide(op, &event, started_ns);
}

int afw_check_open(const char *op, int dirfd, const char *path, int flags) {
    struct afw_entry entry = afw_enter();
    if (entry.gate != AFW_GATE_DECIDE) {
        return afw_leave(&entry, afw_gate_verdict(&entry));
    }
    return afw_leave(&entry, decide_open(op, dirfd, path, flags, entry.started_ns));
}

/* fopen's mode string as open(2) flags: "r", "w", "a", each with optional '+', and the
 * glibc extensions 'x' (O_EXCL) and 'e' (O_CLOEXEC). Returns -1 for a mode fopen rejects. */
static int flags_for_mode(const char *mode) {
    if (mode == NULL) {
        return -1;
    }
    bool plus = strchr(mode, '+') != NULL;
    int flags;
    switch (mode[0]) {
    case 'r':
        flags = plus ? O_RDWR : O_RDONLY;
        break;
    case 'w':
        flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_TRUNC;
        break;
    case 'a':
        flags = (plus ? O_RDWR : O_WRONLY) | O_CREAT | O_APPEND;
        break;
    default:
        return -1;
    }
    if (strchr(mode, 'x') != NULL) {
        flags |= O_EXCL;
    }
    return flags;
}

int afw_check_fopen(const char *op, const char *path, const char *mode) {
    int flags = flags_for_mode(mode);
    if (flags < 0) {
        return 0; /* libc answers EINVAL */
    }
    return afw_check_open(op, AT_FDCWD, path, flags);
}

int afw_check_fd_reopen(const char *op, int fd, const char *mode) {
    int flags = flags_for_mode(mode);
    if (flags < 0 || fd < 0) {
        return 0;
    }
    /* freopen(NULL, mode, stream) reopens the stream's file, possibly for writing; the fd's
     * magic link names it, and path resolution follows it. */
    char link[32];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    /* O_CREAT|O_TRUNC of a "w" mode do not apply: glibc reopens the existing file. */
    return afw_check_open(op, AT_FDCWD, link, flags & ~(O_CREAT | O_TRUNC | O_EXCL));
}
