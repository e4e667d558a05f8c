/*
 * check_file.c: turns an open-family call (and a rename or link) into FILE events: the path
 * as requested (absolute, lexical) and as the kernel will resolve it (symlinks, /proc magic
 * links), and the access the call asks for.
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

/* A path as an event: its requested (lexical) and resolved names, and whether the file is
 * there. Returns 1 when the call should simply go to the kernel, -1 to deny, 0 to decide. */
struct located_path {
    char requested[PATH_MAX];
    char resolved[PATH_MAX];
    enum presence presence;
    bool symlink_free; /* the plain resolver answered: no symlink on the way */
};

static int locate_path(int dirfd, const char *path, bool follow_last, struct located_path *out) {
    if (path == NULL) {
        return 1; /* the kernel answers EFAULT */
    }
    int located = locate(dirfd, path, out->requested, out->resolved, sizeof out->requested);
    if (located != 0) {
        return located;
    }
    char raw[PATH_MAX];
    memcpy(raw, out->resolved, strlen(out->resolved) + 1);
    out->presence = PRESENCE_ASK;
    out->symlink_free = false;
    bool exists;
    if (afw_path_resolve_plain(raw, follow_last, out->resolved, sizeof out->resolved, &exists) == AFW_OK) {
        out->symlink_free = true;
        /* access() follows a final symlink, which a NOFOLLOW open found and did not follow:
         * then only access() can say whether its target exists. */
        if (follow_last || !exists) {
            out->presence = exists ? PRESENCE_EXISTS : PRESENCE_MISSING;
        }
    } else if (afw_path_resolve(raw, follow_last, out->resolved, sizeof out->resolved) != AFW_OK) {
        /* Unresolvable (a component is not a directory, no permission to search it): the
         * kernel will fail the call the same way; judge it by the name it was given. */
        memcpy(out->resolved, out->requested, strlen(out->requested) + 1);
    }
    return 0;
}

static struct afw_event_view file_event(const struct located_path *path, uint8_t access) {
    return (struct afw_event_view){
        .surface = AFW_SURFACE_FILE,
        .access = access,
        .path = path->resolved,
        .requested_path = strcmp(path->requested, path->resolved) != 0 ? path->requested : NULL,
    };
}

static int decide_open(const char *op, int dirfd, const char *path, int flags, struct afw_open_check *checked,
                       uint64_t started_ns) {
    /* O_CREAT|O_EXCL never follows a final symlink (it fails with EEXIST instead). */
    bool follow_last = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
    struct located_path located;
    int status = locate_path(dirfd, path, follow_last, &located);
    if (status != 0) {
        return status > 0 ? 0 : -1;
    }
    bool creates = (flags & O_CREAT) && missing(located.resolved, located.presence);
    struct afw_event_view event = file_event(&located, afw_access_for_open(flags, creates));
    int verdict = afw_decide(op, &event, started_ns);
    if (verdict == 0 && checked != NULL) {
        memcpy(checked->path, located.resolved, strlen(located.resolved) + 1);
        checked->symlink_free = located.symlink_free;
    }
    return verdict;
}

int afw_check_open(const char *op, int dirfd, const char *path, int flags, struct afw_open_check *checked) {
    if (checked != NULL) {
        checked->path[0] = '\0';
        checked->symlink_free = false;
    }
    struct afw_entry entry = afw_enter();
    if (entry.gate != AFW_GATE_DECIDE) {
        return afw_leave(&entry, afw_gate_verdict(&entry));
    }
    return afw_leave(&entry, decide_open(op, dirfd, path, flags, checked, entry.started_ns));
}

/* The shim resolves a path and the kernel then resolves it again: an agent that swaps a
 * symlink (or renames a directory) in between gets a file that was never decided. So the
 * file really opened is named (its /proc/self/fd link, one syscall) and, when it is not the
 * one decided, decided too; a denied one is closed again. */
int afw_confirm_open(const char *op, int fd, int flags, const struct afw_open_check *checked) {
    if (fd < 0 || checked == NULL || checked->path[0] == '\0') {
        return fd;
    }
    const char *decided = checked->path;
    char link[32], opened[PATH_MAX];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, opened, sizeof opened - 1);
    if (length < 0) {
        return fd; /* no /proc: nothing to compare with */
    }
    opened[length] = '\0';
    if (strcmp(opened, decided) == 0) {
        return fd;
    }
    struct afw_entry entry = afw_enter();
    int verdict = afw_gate_verdict(&entry);
    if (entry.gate == AFW_GATE_DECIDE) {
        struct afw_event_view event = {
            .surface = AFW_SURFACE_FILE,
            .access = afw_access_for_open(flags, false),
            .path = opened,
            .requested_path = decided,
        };
        verdict = afw_decide(op, &event, entry.started_ns);
    }
    if (afw_leave(&entry, verdict) != 0) {
        close(fd);
        errno = EACCES;
        return -1;
    }
    return fd;
}

int afw_open_flags_for_mode(const char *mode) {
    if (mode == NULL) {
        return -1;
    }
    int flags;
    switch (mode[0]) {
    case 'r': flags = O_RDONLY; break;
    case 'w': flags = O_WRONLY | O_CREAT | O_TRUNC; break;
    case 'a': flags = O_WRONLY | O_CREAT | O_APPEND; break;
    default: return -1;
    }
    for (int i = 1; i < 7 && mode[i] != '\0' && mode[i] != ','; i++) {
        if (mode[i] == '+') {
            flags = (flags & ~O_ACCMODE) | O_RDWR;
        } else if (mode[i] == 'x') {
            flags |= O_EXCL;
        } else if (mode[i] == 'e') {
            flags |= O_CLOEXEC;
        }
    }
    return flags;
}

int afw_check_fopen(const char *op, const char *path, const char *mode) {
    int flags = afw_open_flags_for_mode(mode);
    if (flags < 0) {
        return 0; /* libc answers EINVAL */
    }
    return afw_check_open(op, AT_FDCWD, path, flags, NULL);
}

int afw_check_fd_reopen(const char *op, int fd, const char *mode) {
    int flags = afw_open_flags_for_mode(mode);
    if (flags < 0 || fd < 0) {
        return 0;
    }
    /* freopen(NULL, mode, stream) reopens the stream's file, possibly for writing; the fd's
     * magic link names it, and path resolution follows it. */
    char link[32];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    /* O_CREAT|O_TRUNC of a "w" mode do not apply: glibc reopens the existing file. */
    return afw_check_open(op, AT_FDCWD, link, flags & ~(O_CREAT | O_TRUNC | O_EXCL), NULL);
}

/* rename and link give a file another name, which path rules do not know: `mv .env notes`
 * or `ln .env notes`, then read notes. So the old name is decided as read and as write (the
 * new name reads it; the old name is gone or shared), and the new name as a write, or a
 * create when it does not exist yet. RENAME_EXCHANGE moves both files: each name is then
 * both. The strictest of these decisions is the call's, recorded once. Neither call follows
 * a final symlink, unless linkat is asked to (AT_SYMLINK_FOLLOW). */
static int decide_new_name(const char *op, int old_dirfd, const char *old_path, int new_dirfd, const char *new_path,
                           bool follow_old, bool exchange, uint64_t started_ns) {
    struct located_path old_name, new_name;
    int status = locate_path(old_dirfd, old_path, follow_old, &old_name);
    if (status == 0) {
        status = locate_path(new_dirfd, new_path, false, &new_name);
    }
    if (status != 0) {
        return status > 0 ? 0 : -1;
    }
    uint8_t new_access = exchange || !missing(new_name.resolved, new_name.presence) ? AFW_ACCESS_WRITE : AFW_ACCESS_CREATE;
    struct afw_event_view candidates[] = {
        file_event(&old_name, AFW_ACCESS_READ),
        file_event(&old_name, AFW_ACCESS_WRITE),
        file_event(&new_name, new_access),
        file_event(&new_name, AFW_ACCESS_READ),
    };
    size_t count = exchange ? 4 : 3;
    const struct afw_shim_state *state = afw_shim_state();
    size_t strictest = 0;
    int strictness = -1;
    for (size_t i = 0; i < count; i++) {
        struct afw_decision decision = afw_table_decide(state->table, state->table_size, &candidates[i]);
        if (afw_action_strictness(decision.action) > strictness) {
            strictness = afw_action_strictness(decision.action);
            strictest = i;
        }
    }
    return afw_decide(op, &candidates[strictest], started_ns);
}

int afw_check_new_name(const char *op, int old_dirfd, const char *old_path, int new_dirfd, const char *new_path,
                       bool follow_old, bool exchange) {
    struct afw_entry entry = afw_enter();
    if (entry.gate != AFW_GATE_DECIDE) {
        return afw_leave(&entry, afw_gate_verdict(&entry));
    }
    return afw_leave(&entry, decide_new_name(op, old_dirfd, old_path, new_dirfd, new_path, follow_old, exchange,
                                             entry.started_ns));
}

/* linkat(fd, "", dirfd, name, AT_EMPTY_PATH) names the file behind a descriptor, which an
 * O_PATH open of a secret gives without reading it: /proc/self/fd/N resolves to the file. */
int afw_check_linkat(const char *op, int old_dirfd, const char *old_path, int new_dirfd, const char *new_path,
                     int flags) {
    char descriptor[32];
    if ((flags & AT_EMPTY_PATH) && old_path != NULL && old_path[0] == '\0') {
        snprintf(descriptor, sizeof descriptor, "/proc/self/fd/%d", old_dirfd);
        old_path = descriptor;
        old_dirfd = AT_FDCWD;
    }
    bool follow = (flags & (AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) != 0;
    return afw_check_new_name(op, old_dirfd, old_path, new_dirfd, new_path, follow, false);
}

/* unlink, rmdir and truncate change a file without opening it: deleting `.env` or emptying a
 * file the policy guards is a write to it. unlink and rmdir act on the name itself (a symlink
 * is removed, not its target); truncate follows it. */
int afw_check_change(const char *op, int dirfd, const char *path, bool follow_last) {
    struct afw_entry entry = afw_enter();
    if (entry.gate != AFW_GATE_DECIDE) {
        return afw_leave(&entry, afw_gate_verdict(&entry));
    }
    struct located_path located;
    int status = locate_path(dirfd, path, follow_last, &located);
    if (status != 0) {
        return afw_leave(&entry, status > 0 ? 0 : -1);
    }
    struct afw_event_view event = file_event(&located, AFW_ACCESS_WRITE);
    return afw_leave(&entry, afw_decide(op, &event, entry.started_ns));
}
