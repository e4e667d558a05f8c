/*
 * shim.h: what the hook files share inside the preload library. Nothing here is exported;
 * only the hooks themselves are (AFW_EXPORT).
 *
 * Every hook follows one contract: it asks a check function (check_*.c), which returns 0 to
 * pass the call to libc unchanged, or -1 with errno = EACCES to deny it; the hook then
 * either makes the real call or returns its function's failure value. A call made while
 * this thread is already inside the shim's own code passes straight to libc.
 */
#ifndef AFW_SHIM_H
#define AFW_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <limits.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "afw_core.h"

#define AFW_EXPORT __attribute__((visibility("default")))
#define AFW_HIDDEN __attribute__((visibility("hidden")))

/* ---- Per-thread guard ------------------------------------------------------------------
 * Set while this thread runs the shim's decision code, whose own open()/syscall() calls
 * (path resolution, futex, shm_open) reach our hooks again and must go straight to libc.
 * The guard never spans a real call: a vfork child shares the parent's memory, and a guard
 * still set at a successful execve would stay set in the parent and switch the shim off
 * there. Stored in a pthread key (thread_state.h explains why not __thread). */
bool afw_shim_busy(void) AFW_HIDDEN;

/* ---- Process state (shim.c) ------------------------------------------------------------ */
enum afw_backstop_mode {
    AFW_BACKSTOP_NONE = 0,     /* --no-backstop: static binaries are only flagged */
    AFW_BACKSTOP_STANDARD = 1, /* decided calls go through the gadget page */
    AFW_BACKSTOP_PARANOID = 2, /* the supervisor decides every call; the shim decides nothing */
};
enum afw_shim_mode {
    AFW_SHIM_INACTIVE = 0, /* no AGENTFIREWALL_SHM at load: not under a run, pass everything */
    AFW_SHIM_ACTIVE = 1,   /* segment mapped and checked */
    AFW_SHIM_BROKEN = 2,   /* under a run but the segment is unusable: deny (fail closed) */
};
struct afw_shim_state {
    int mode;                            /* afw_shim_mode */
    struct afw_segment_header *segment;
    const void *table;                   /* read-only; size checked at map time */
    size_t table_size;
    uint32_t segment_flags;              /* afw_segment_flags, copied at map time */
    uint32_t table_flags;                /* afw_table_flags, copied at map time */
    int backstop;                        /* afw_backstop_mode */
    int32_t pid;                         /* refreshed in a fork child */
    int32_t ppid;
    char exe[4096];                      /* /proc/self/exe */
};
/* Initialises on first use (and from the constructor) and returns the state. */
const struct afw_shim_state *afw_shim_state(void) AFW_HIDDEN;
/* This thread's id, cached per thread (a fork child's thread gets its own). */
int32_t afw_thread_id(void) AFW_HIDDEN;

/* ---- Entering the shim's code (shim.c) ---------------------------------------------------
 * Every check function brackets its work with afw_enter/afw_leave: enter sets the guard,
 * initialises lazily and says what to do with the call; leave clears the guard and sets
 * errno: the caller's errno untouched on a pass, EACCES on a deny. */
enum afw_gate {
    AFW_GATE_PASS = 0,   /* not under a run */
    AFW_GATE_DECIDE = 1, /* decide it */
    AFW_GATE_DENY = 2,   /* under a run whose segment is unusable: fail closed */
};
struct afw_entry {
    int gate;            /* afw_gate */
    int saved_errno;
    uint64_t started_ns; /* CLOCK_MONOTONIC at the hook's entry, for latency_ns */
};
struct afw_entry afw_enter(void) AFW_HIDDEN;
/* verdict: 0 pass, -1 deny. Returns verdict. */
int afw_leave(const struct afw_entry *entry, int verdict) AFW_HIDDEN;
/* What the gate alone decides, when it is not DECIDE. */
int afw_gate_verdict(const struct afw_entry *entry) AFW_HIDDEN;
uint64_t afw_monotonic_ns(void) AFW_HIDDEN;

/* ---- Deciding (decide.c) ----------------------------------------------------------------
 * Decides an event against the table, records it, prints the block line, waits for a
 * review. Returns 0 to pass, -1 to deny. Runs inside afw_enter/afw_leave. */
int afw_decide(const char *op, const struct afw_event_view *event, uint64_t started_ns) AFW_HIDDEN;

/* ---- The check functions the hooks call (check_*.c). 0 pass, -1 deny (errno EACCES). ---- */
/* What afw_check_open allowed, for making the open without a check-then-use gap. */
struct afw_open_check {
    char path[PATH_MAX]; /* the resolved path allowed; "" when the call was not decided here */
    bool symlink_free;   /* the kernel met no symlink resolving it */
};
/* checked may be NULL. After an allowed check, afw_open_checked makes the open so that the
 * file opened is the one decided: with no symlink followed when the check met none, else
 * confirmed afterwards by afw_confirm_open, which returns fd, or -1 (EACCES, fd closed) when
 * the file opened is another that is denied. */
int afw_check_open(const char *op, int dirfd, const char *path, int flags, struct afw_open_check *checked) AFW_HIDDEN;
int afw_confirm_open(const char *op, int fd, int flags, const struct afw_open_check *checked) AFW_HIDDEN;
int afw_check_fopen(const char *op, const char *path, const char *mode) AFW_HIDDEN;
int afw_check_fd_reopen(const char *op, int fd, const char *mode) AFW_HIDDEN;
/* rename/renameat/renameat2 and link/linkat: a new name for a file (check_file.c explains
 * which accesses are decided). */
int afw_check_new_name(const char *op, int old_dirfd, const char *old_path, int new_dirfd, const char *new_path,
                       bool follow_old, bool exchange) AFW_HIDDEN;
/* unlink, rmdir, truncate: a write to the file named (follow_last: truncate follows a final
 * symlink, the others remove the name itself). */
int afw_check_change(const char *op, int dirfd, const char *path, bool follow_last) AFW_HIDDEN;
/* linkat, including AT_EMPTY_PATH (the descriptor's file gets the new name). */
int afw_check_linkat(const char *op, int old_dirfd, const char *old_path, int new_dirfd, const char *new_path,
                     int flags) AFW_HIDDEN;
/* fopen's mode as open(2) flags, read as glibc reads it; -1 for a mode fopen rejects. */
int afw_open_flags_for_mode(const char *mode) AFW_HIDDEN;
/* program: as passed to execve (relative to the cwd when it has no leading '/'). */
int afw_check_exec(const char *op, const char *program, char *const argv[]) AFW_HIDDEN;
/* file: searched in $PATH like execvp when it has no '/'. */
int afw_check_exec_search(const char *op, const char *file, char *const argv[]) AFW_HIDDEN;
int afw_check_exec_at(const char *op, int dirfd, const char *path, char *const argv[], int flags) AFW_HIDDEN;
int afw_check_shell(const char *op, const char *command) AFW_HIDDEN;
int afw_check_connect(const char *op, const struct sockaddr *address, socklen_t length) AFW_HIDDEN;

/* execvp's search path when PATH is unset: glibc's confstr(_CS_PATH). */
#define AFW_DEFAULT_SEARCH_PATH "/bin:/usr/bin"
/* The next place execvp looks for `file`: "DIR/file" for the PATH entry at *search (an empty
 * entry is "."), "" when that is too long for out; advances *search (NULL after the last
 * entry). False when no entry is left. */
bool afw_search_candidate(const char **search, const char *file, char *out, size_t out_size) AFW_HIDDEN;

/* ---- The "agentfirewall: blocked ..." line (report.c) ---------------------------------- */
void afw_report_block(const struct afw_event_view *event, const char *rule_id, const char *reason) AFW_HIDDEN;
/* `agentfirewall: warning: PROGRAM is a static binary: ...` when the run has no backstop, so
 * that a user sees where the shim's coverage ends instead of assuming it. */
void afw_report_static_binary(const char *program) AFW_HIDDEN;

/* ---- Making the decided call (direct_syscall.c) ----------------------------------------
 * Maps the gadget page (standard backstop only): calls made from it pass the seccomp filter
 * without a second decision by the supervisor. */
void afw_gadget_map(void) AFW_HIDDEN;
/* syscall() semantics (-1 and errno on failure), from the gadget page when it is mapped. */
long afw_direct_syscall(long number, long a, long b, long c, long d, long e, long f) AFW_HIDDEN;
/* ---- Names the process resolved (host_names.c) ----------------------------------------- */
void afw_host_remember(const char *name, int family, const void *address) AFW_HIDDEN;
/* Copies the name last resolved to (family 4|6, address) into out; false when unknown. */
bool afw_host_lookup(uint8_t family, const uint8_t address[16], char *out, size_t out_size) AFW_HIDDEN;

/* ---- Environment (shim_env.c) ----------------------------------------------------------- */
/* Copies LD_PRELOAD and every AGENTFIREWALL_* variable out of the environment, once. */
void afw_env_capture(void) AFW_HIDDEN;
const char *afw_env_saved(const char *name) AFW_HIDDEN;
/* Calls use(child_envp, context) with the child's environment: envp (NULL means empty)
 * without LD_PRELOAD and AGENTFIREWALL_*, plus the saved AGENTFIREWALL_* values, plus
 * LD_PRELOAD with this library first. Built on the stack (a vfork child must not malloc);
 * returns what use returns. Passes envp unchanged when the shim is not under a run. */
typedef int (*afw_env_user)(char *const envp[], void *context);
int afw_env_with_child(char *const envp[], afw_env_user use, void *context) AFW_HIDDEN;
/* Puts the saved variables back into this process's environment (before system/popen,
 * whose shell inherits environ through libc's internal spawn). */
void afw_env_restore_process(void) AFW_HIDDEN;

#endif
