/*
 * afw_backstop.h: the supervisor's side of seccomp user notification. The supervisor
 * installs the notifying filter (afw_notify_filter.h) before the agent starts and keeps its
 * listener; it then receives every open, exec, connect and addressed send the shim did not
 * make itself (static binaries, raw system calls, the loader's and libc's internal opens),
 * reads its arguments from /proc/PID/mem, and answers.
 * ioctl() is variadic and the seccomp structures are kernel UAPI: Swift calls these instead.
 * Every function returns 0 or a negative errno.
 */
#ifndef AFW_BACKSTOP_H
#define AFW_BACKSTOP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

#define AFW_BACKSTOP_MAX_ARGS 256
#define AFW_BACKSTOP_ARG_BYTES 16384

enum afw_backstop_kind {
    AFW_BACKSTOP_PASS = 0,    /* nothing to decide (a Unix socket, a failed read): let it run */
    AFW_BACKSTOP_FILE = 1,
    AFW_BACKSTOP_EXEC = 2,
    AFW_BACKSTOP_NETWORK = 3,
    AFW_BACKSTOP_NEW_NAME = 4, /* rename or link: path/requested is the old name, new_* the new */
    AFW_BACKSTOP_CHANGE = 5,   /* unlink, rmdir, truncate: a write to path/requested, no open */
};

/* One notified call, read out of the target process and normalised like the shim's events.
 * Everything before `path` is cleared for each call; the strings after it are written whole. */
struct afw_backstop_call {
    uint64_t id;
    int32_t pid;
    uint8_t kind;          /* afw_backstop_kind */
    uint8_t access;        /* FILE: afw_access bits */
    uint8_t family;        /* NETWORK: 4 or 6 */
    uint16_t port;         /* NETWORK */
    uint8_t address[16];   /* NETWORK, network byte order */
    int32_t open_flags;    /* FILE: the open's flags */
    uint32_t open_mode;    /* FILE: the open's mode (for O_CREAT) */
    bool new_exists;       /* NEW_NAME: the new name is taken (it is replaced) */
    bool exchange;         /* NEW_NAME: RENAME_EXCHANGE, both names move */
    char op[16];           /* the system call: "openat", "execve", "connect", "sendto"... */
    char path[PATH_MAX];      /* FILE: resolved path; EXEC: the program */
    char requested[PATH_MAX]; /* FILE: lexical absolute path */
    char new_path[PATH_MAX];      /* NEW_NAME: the new name, resolved */
    char new_requested[PATH_MAX]; /* NEW_NAME: the new name, lexical */
    uint32_t argc;
    const char *argv[AFW_BACKSTOP_MAX_ARGS];
    char argument_bytes[AFW_BACKSTOP_ARG_BYTES];
};

/* Receives the next notification and reads its arguments. -ENOENT when the caller went away
 * (or was interrupted) before we could read them: there is nothing to answer. Any other
 * error means notify_fd is not a working listener (an agent can send any descriptor). */
int afw_backstop_receive(int notify_fd, struct afw_backstop_call *call);
/* Answers an allowed FILE call by opening the decided path in the supervisor and
 * installing the descriptor in the target (SECCOMP_IOCTL_NOTIF_ADDFD): the target gets the
 * file that was decided, whatever it does to the path in the meantime (a symlink swapped
 * in is refused). 0 when answered; 1 when the call must be answered with
 * afw_backstop_respond instead (another user's process, a /proc path, a device or FIFO, a
 * kernel without openat2 or ADDFD); a negative errno when the answer failed. */
int afw_backstop_open_for(int notify_fd, const struct afw_backstop_call *call);
/* The parent pid of `pid` from /proc/PID/stat, 0 when it cannot be read. Apart from
 * afw_backstop_receive because only the audit needs it. */
int32_t afw_backstop_parent_of(int32_t pid);
/* Answers: allow lets the call proceed in the target (SECCOMP_USER_NOTIF_FLAG_CONTINUE);
 * otherwise it fails with `error` (EACCES). */
int afw_backstop_respond(int notify_fd, uint64_t id, bool allow, int error);
/* Whether the call of notification `id` still waits for its answer
 * (SECCOMP_IOCTL_NOTIF_ID_VALID). An answer given late, after a review, checks it first: a
 * caller that died or was interrupted (its call is notified again, with a new id) must not
 * have its old call answered or audited. */
bool afw_backstop_still_waiting(int notify_fd, uint64_t id);

#endif
