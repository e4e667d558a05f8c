/*
 * afw_core.h: the shim's testable core. Everything here is plain C on libc, allocates
 * nothing on the hot path (callers pass buffers), takes no lock, and is linked into three
 * places: the preload library (CInterpose/Preload), the Swift policy engine (which evaluates
 * the same compiled table with the same afw_table_decide) and the Swift supervisor (which
 * serves the rings with the same protocol code). One implementation, so the fast path, the
 * slow path and replay cannot drift apart.
 *
 * Functions marked "pure" make no syscall. The others say which syscalls they make.
 * Return conventions: 0 on success, a negative errno-style AFW_E* value on failure.
 */
#ifndef AFW_CORE_H
#define AFW_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agentfirewall_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Error codes (negative). */
enum {
    AFW_OK = 0,
    AFW_E_INVALID = -1,  /* malformed input: a table, event, glob or segment that fails checks */
    AFW_E_TOO_LONG = -2, /* the result does not fit the caller's buffer */
    AFW_E_SYS = -3,      /* a syscall failed; errno says why */
    AFW_E_GONE = -4,     /* the supervisor is gone (fail closed) */
    AFW_E_FULL = -5,     /* a ring is full */
};

/* ---------------------------------------------------------------------------------------
 * Globs (pure)
 * PATH: '**' matches any characters including '/', and "**" + "/" also matches zero
 *       directories ("/a/ ** /b" matches "/a/b"); '*' and '?' never match '/'.
 * TEXT: '*' matches any characters, '/' included; '?' any one character.
 * HOST: TEXT, ASCII case-insensitive.
 * All: "[abc]", "[a-z]", "[!abc]" classes; '\' escapes the next character.
 * Matching never recurses deeper than the number of '**'/'*' in the pattern and is bounded
 * in time by O(pattern * subject) per star, so a hostile subject cannot stall a hook.
 * ------------------------------------------------------------------------------------- */
enum afw_glob_mode {
    AFW_GLOB_PATH = 1,
    AFW_GLOB_TEXT = 2,
    AFW_GLOB_HOST = 3,
};
bool afw_glob_match(const char *pattern, const char *subject, int mode);
/* afw_glob_match for a pattern already checked with afw_glob_check in this mode (every glob
 * of a table that passed afw_table_validate), with both lengths known: the table decides
 * each event against many globs, and checking and measuring them again each time was most
 * of replay's cost. An unchecked pattern here may match wrongly, never read out of bounds
 * beyond the given lengths. */
bool afw_glob_match_checked(const char *pattern, size_t length, const char *subject, size_t subject_length, int mode);
/* Checks a pattern before it is compiled. On failure returns AFW_E_INVALID and sets *error to
 * a static message ("unterminated [ class", ...) and *error_offset to the byte offset. */
int afw_glob_validate(const char *pattern, int mode, const char **error, size_t *error_offset);

/* ---------------------------------------------------------------------------------------
 * CIDR (pure)
 * ------------------------------------------------------------------------------------- */
/* Parses "10.0.0.0/8", "::1/128", "127.0.0.1" (a host: /32 or /128). Host bits beyond the
 * prefix are masked off, as most tools do. Returns AFW_OK or AFW_E_INVALID. family is 4 or
 * 6; address is in network byte order. */
int afw_cidr_parse(const char *text, uint8_t *family, uint8_t address[16], uint8_t *prefix_length);
/* True when (family, address) lies in the block. An IPv4-mapped IPv6 address
 * (::ffff:a.b.c.d) is compared as IPv4. */
bool afw_cidr_contains(uint8_t block_family, const uint8_t block_address[16], uint8_t prefix_length,
                       uint8_t family, const uint8_t address[16]);

/* ---------------------------------------------------------------------------------------
 * Events, unpacked (pure)
 * ------------------------------------------------------------------------------------- */
struct afw_event_view {
    uint8_t surface;              /* afw_surface */
    uint8_t access;               /* FILE: afw_access bits */
    /* FILE */
    const char *path;             /* resolved absolute path (symlinks resolved) */
    const char *requested_path;   /* absolute, lexically normalised; NULL or == path when same */
    /* EXEC */
    const char *program;          /* absolute path of the executable after PATH search */
    const char *const *argv;      /* argc entries, not NULL-terminated necessarily */
    uint32_t argc;
    /* NETWORK */
    uint8_t family;               /* 4 or 6 */
    uint8_t address[16];          /* network byte order */
    uint16_t port;                /* host byte order */
    const char *host;             /* the name the process resolved, or NULL/"" when unknown */
    /* afw_event_flags the caller observed (AFW_EVENT_STATIC_BINARY); copied into the record,
     * never consulted by afw_table_decide */
    uint8_t event_flags;
};

/* ---------------------------------------------------------------------------------------
 * Exec subjects (pure): what exec rules are matched against, after unwrapping.
 * programs: the program path itself; the program after seeing through wrappers (env with
 *           VAR=x and options, nohup, timeout, nice, ionice, stdbuf, xargs, sudo, doas,
 *           command, exec, setsid, chrt, taskset); and the first word of each simple command
 *           of an `sh -c`/`bash -lc`/... script (split on | ; & && || newline and $( ).
 * commands: the script of `sh -c SCRIPT` (any of sh, bash, dash, zsh, ksh, ash, busybox sh,
 *           with any options before -c, e.g. -lc, -ec, -o pipefail -c), each simple command
 *           of that script, and the unwrapped argv joined with single spaces.
 * Strings point into argv or into the caller's scratch buffer.
 * ------------------------------------------------------------------------------------- */
#define AFW_EXEC_MAX_PROGRAMS 32
#define AFW_EXEC_MAX_COMMANDS 32
struct afw_exec_subjects {
    const char *programs[AFW_EXEC_MAX_PROGRAMS];
    uint32_t program_count;
    const char *commands[AFW_EXEC_MAX_COMMANDS];
    uint32_t command_count;
    bool truncated; /* scratch or the arrays ran out; what fits is still matched */
};
int afw_exec_subjects(const char *program, const char *const *argv, uint32_t argc,
                      struct afw_exec_subjects *out, char *scratch, size_t scratch_size);

/* ---------------------------------------------------------------------------------------
 * Compiled table (pure): see agentfirewall_abi.h for the format.
 * ------------------------------------------------------------------------------------- */
/* Checks every offset, count, string and enum of a table. The shim calls it once when it
 * maps a segment; afw_table_decide assumes a validated table. */
int afw_table_validate(const void *table, size_t size);

struct afw_decision {
    uint8_t action;      /* afw_action */
    int32_t rule_index;  /* AFW_RULE_DEFAULT when the surface default decided */
};
/* First matching rule of the event's surface wins; no match -> the surface default.
 * EXEC events first consult FILE rules whose access mask names EXEC explicitly (against the
 * program path; a file default never applies there), then EXEC rules.
 * FILE rules match when the path glob matches path (block and review rules: or
 * requested_path, so a symlink named like an allowed file cannot unlock its target) and the access
 * masks intersect (a rule mask of 0 matches any access). NETWORK host globs never match an
 * unknown host. Uses a stack scratch buffer of a few KiB for exec unwrapping. */
struct afw_decision afw_table_decide(const void *table, size_t size, const struct afw_event_view *event);
/* The string at a pool offset, or NULL when the offset is invalid. */
const char *afw_table_string(const void *table, size_t size, uint32_t offset);
const struct afw_table_rule *afw_table_rule_at(const void *table, size_t size, int32_t index);

/* ---------------------------------------------------------------------------------------
 * Event records (pure): encode into / decode from the ring format.
 * ------------------------------------------------------------------------------------- */
/* Writes head (copied, total_size/strings_size/flags filled in) followed by the strings:
 * exe, then the surface's strings from the view (see agentfirewall_abi.h). When they do not
 * fit in capacity the last strings are cut and AFW_EVENT_TRUNCATED is set, so a decision is
 * still recorded. Returns the record's total size (8-byte aligned), 0 when capacity is
 * smaller than a head. */
size_t afw_event_encode(void *buffer, size_t capacity, const struct afw_event_head *head,
                        const char *exe, const struct afw_event_view *event);
/* Validates a record that came from shared memory (it must already be copied out of the
 * segment: the agent can change the segment while we look). Fills head, exe, and view;
 * argv pointers are written to argv_storage (argv_capacity entries). Every string must be
 * NUL-terminated inside the record and the surface's string count must match. */
int afw_event_decode(const void *record, size_t size, struct afw_event_head *head, const char **exe,
                     struct afw_event_view *view, const char **argv_storage, uint32_t argv_capacity);

/* The access an open(2) with these flags asks for (pure): READ for O_RDONLY, WRITE for
 * O_WRONLY, both for O_RDWR; WRITE for O_TRUNC (it empties the file even read-only);
 * CREATE|WRITE for O_TMPFILE, and when `creates` (O_CREAT of a file that does not exist). */
uint8_t afw_access_for_open(int flags, bool creates);

/* ---------------------------------------------------------------------------------------
 * Paths
 * ------------------------------------------------------------------------------------- */
/* Pure: joins base (absolute) and path (absolute or relative), collapses "//", "." and
 * "..", never climbs above "/". */
int afw_path_lexical(const char *base, const char *path, char *out, size_t out_size);
/* Absolute lexical path of (dirfd, path) as the kernel would start resolving it: uses
 * getcwd for AT_FDCWD and readlink("/proc/self/fd/N") for a dirfd. */
int afw_path_absolute(int dirfd, const char *path, char *out, size_t out_size);
/* Resolves symlinks (and magic links such as /proc/self/root, /proc/self/fd/N) of an
 * absolute path the way open() would: opens it with O_PATH (O_NOFOLLOW too when
 * follow_last is false) and reads /proc/self/fd/N back. A missing final component (a file
 * about to be created) resolves through its parent. At most 3 syscalls when it exists. */
int afw_path_resolve(const char *absolute, bool follow_last, char *out, size_t out_size);
/* afw_path_resolve's answer in two syscalls (openat2 with RESOLVE_NO_SYMLINKS, close) for
 * a path on which the kernel meets no symlink before the file or its first missing name:
 * then that answer is the path's lexical form, and *exists says whether the file (with
 * follow_last false: possibly a symlink itself) exists. AFW_E_SYS (errno unchanged) when
 * the kernel meets a symlink or cannot say: call afw_path_resolve then. */
int afw_path_resolve_plain(const char *absolute, bool follow_last, char *out, size_t out_size, bool *exists);

/* ---------------------------------------------------------------------------------------
 * Shared segment and rings. Syscalls: futex, kill(pid, 0) for liveness.
 * ------------------------------------------------------------------------------------- */
/* Size of a segment holding a table of table_size bytes (page aligned). */
size_t afw_segment_size(size_t table_size);
/* Supervisor: lays out a zeroed mapping of afw_segment_size(table_size) bytes: header, the
 * table copied in, empty rings. state is left STARTING; call afw_segment_set_state. */
int afw_segment_init(void *base, size_t size, const void *table, size_t table_size,
                     int32_t supervisor_pid, uint32_t flags);
void afw_segment_set_state(struct afw_segment_header *segment, uint32_t state);
/* Shim: checks magic, ABI version, sizes and that every region lies inside mapped_size,
 * then validates the table. */
int afw_segment_check(const struct afw_segment_header *segment, size_t mapped_size);
/* True while the supervisor is live: state == LIVE and kill(supervisor_pid, 0) succeeds. */
bool afw_supervisor_alive(const struct afw_segment_header *segment);

/* Shim, event ring: never blocks. AFW_E_FULL when the ring is full (evt_dropped was
 * incremented). Wakes the supervisor only when it sleeps. */
int afw_evt_push(struct afw_segment_header *segment, const void *record, size_t size);
/* The IPv4 or IPv6 destination (family 4|6, address in network order, port) a socket address
 * names; false for other families (Unix, netlink: no network surface) and short addresses. */
struct sockaddr;
bool afw_socket_destination(const struct sockaddr *address, size_t length, uint8_t *family, uint8_t bytes[16],
                            uint16_t *port);
/* Shim: `program` (absolute) was decided for an exec that libc will make in a child of
 * parent_pid. Supervisor: takes the token for that exec, if one is there and live. */
void afw_spawn_token_put(struct afw_segment_header *segment, int32_t parent_pid, const char *program,
                         uint64_t now_ns);
bool afw_spawn_token_take(struct afw_segment_header *segment, int32_t parent_pid, const char *program,
                          uint64_t now_ns);
/* Shim, request ring: posts a record and waits for the answer (futex, no polling), copying
 * the answered head into *answer. Waits while the ring is full (backpressure). Returns
 * AFW_E_GONE when the supervisor dies or is not live; the caller must deny. */
int afw_req_call(struct afw_segment_header *segment, const void *record, size_t size,
                 struct afw_event_head *answer);

/* Supervisor, event ring: copies the next record out (at most capacity bytes) and returns
 * its size, 0 when the ring is empty. A record that claims a size beyond its slot is
 * returned as AFW_E_INVALID (counted by the caller, skipped). */
long afw_evt_pop(struct afw_segment_header *segment, void *out, size_t capacity);
/* Supervisor, request ring: takes the next READY slot, copies its record out, returns its
 * size and the slot index; 0 when none is ready. */
long afw_req_take(struct afw_segment_header *segment, uint32_t *slot_index, void *out, size_t capacity);
/* Supervisor: answers a taken slot and wakes its client. */
void afw_req_answer(struct afw_segment_header *segment, uint32_t slot_index, uint8_t action,
                    int32_t rule_index, uint8_t path);
/* Supervisor: frees slots whose client process is gone (CLAIMED/READY/ANSWERED by a pid
 * that no longer exists). Returns how many. */
uint32_t afw_req_reclaim(struct afw_segment_header *segment);
/* Supervisor: sleeps until a producer rings the doorbell or timeout_ms passes. */
void afw_supervisor_wait(struct afw_segment_header *segment, int timeout_ms);
/* Wakes a thread sleeping in afw_supervisor_wait (used at shutdown). */
void afw_supervisor_wake(struct afw_segment_header *segment);

/* How much an action restricts: allow 0, log 1, review 2, block 3 (an unknown action 3).
 * When one call is judged under two names, the stricter decision stands (pure). */
int afw_action_strictness(uint8_t action);

/* Names for the audit and messages (pure). */
const char *afw_surface_name(uint8_t surface);
const char *afw_action_name(uint8_t action);
const char *afw_path_name(uint8_t path);

#ifdef __cplusplus
}
#endif
#endif
