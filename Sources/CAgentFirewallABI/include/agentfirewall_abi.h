/*
 * agentfirewall_abi.h: the binary contract between the preload shim (C, inside every agent
 * process) and the supervisor (Swift). One header, used by both sides, so that the layout
 * cannot drift: every size and offset that the other side relies on is pinned by a
 * _Static_assert at the bottom. Changing anything here means bumping AFW_ABI_VERSION.
 *
 * The agent can write to the shared segment (it must, to post requests), so the supervisor
 * treats every byte it reads from it as hostile input: it copies a record out before it
 * validates it and never trusts a length or offset it did not check.
 */
#ifndef AGENTFIREWALL_ABI_H
#define AGENTFIREWALL_ABI_H

#include <stdint.h>

#define AFW_ABI_MAGIC 0x3147455357464641ULL /* "AFWSEG1" little-endian */
#define AFW_ABI_VERSION 3u /* 2: event slots store seq minus their index; 3: spawn tokens */

/* ---------------------------------------------------------------------------------------
 * Vocabulary
 * ------------------------------------------------------------------------------------- */

enum afw_surface {
    AFW_SURFACE_FILE = 1,
    AFW_SURFACE_EXEC = 2,
    AFW_SURFACE_NETWORK = 3,
};
#define AFW_SURFACE_COUNT 4 /* index 0 unused, so a surface value indexes arrays directly */

enum afw_action {
    AFW_ACTION_ALLOW = 0,
    AFW_ACTION_BLOCK = 1,
    AFW_ACTION_REVIEW = 2,
    AFW_ACTION_LOG = 3,
};

/* File access, a bit mask. An exec event's program is also checked as a file with EXEC. */
enum afw_access {
    AFW_ACCESS_READ = 1u << 0,
    AFW_ACCESS_WRITE = 1u << 1,
    AFW_ACCESS_CREATE = 1u << 2,
    AFW_ACCESS_EXEC = 1u << 3,
};

/* Which part of the firewall decided an event (the audit's "path" field). */
enum afw_decision_path {
    AFW_PATH_FAST = 1,     /* the shim, from the compiled table, in process */
    AFW_PATH_SLOW = 2,     /* the supervisor, through the request ring */
    AFW_PATH_BACKSTOP = 3, /* the supervisor, from a seccomp notification */
};

/* Rule index meaning "no rule matched: the surface default decided". */
#define AFW_RULE_DEFAULT (-1)

/* ---------------------------------------------------------------------------------------
 * Compiled policy table
 *
 * Produced by the Swift compiler (AgentFirewallPolicy) from a YAML policy and evaluated by
 * one C function, afw_table_decide (CInterpose/Core). The shim evaluates it in process; the
 * Swift engine evaluates the very same bytes with the very same function, so the fast path,
 * the slow path and replay cannot disagree.
 *
 * Layout: afw_table_header, then rule_count afw_table_rule, then matcher_count
 * afw_table_matcher, then a string pool of NUL-terminated strings. Every string reference is
 * a byte offset into the pool. A rule's matchers are contiguous. Within a rule, matchers of
 * the same key are OR-ed and different keys are AND-ed.
 * ------------------------------------------------------------------------------------- */

#define AFW_TABLE_MAGIC 0x4C425441u /* "ATBL" */
#define AFW_TABLE_VERSION 1u

enum afw_table_flags {
    /* audit: {allowed: count}: fast-path allows are counted, not listed. */
    AFW_TABLE_AUDIT_ALLOWED_COUNT = 1u << 0,
};

struct afw_table_header {
    uint32_t magic;
    uint32_t version;
    uint32_t total_size;     /* header + rules + matchers + strings */
    uint32_t flags;          /* afw_table_flags */
    uint32_t rule_count;
    uint32_t rules_offset;   /* from the start of the table */
    uint32_t matcher_count;
    uint32_t matchers_offset;
    uint32_t strings_offset;
    uint32_t strings_size;
    uint8_t defaults[AFW_SURFACE_COUNT]; /* afw_action per surface; [0] unused */
    uint32_t name_str;       /* policy name, offset into the string pool */
    uint32_t reserved[2];
};

struct afw_table_rule {
    uint8_t surface;        /* afw_surface */
    uint8_t action;         /* afw_action */
    uint8_t access_mask;    /* afw_access bits; 0 means any access */
    uint8_t reserved;
    uint32_t id_str;        /* rule id, offset into the string pool */
    uint32_t reason_str;    /* reason, offset into the string pool ("" when none) */
    uint32_t first_matcher; /* index into the matcher array */
    uint32_t matcher_count;
};

enum afw_match_key {
    AFW_MATCH_PATH = 1,    /* glob on a resolved absolute path: '**' crosses '/', '*' does not */
    AFW_MATCH_COMMAND = 2, /* glob on a shell command line: '*' matches anything, '/' too */
    AFW_MATCH_PROGRAM = 3, /* glob on the program: basename, or full path when it has a '/' */
    AFW_MATCH_HOST = 4,    /* glob on the resolved host name, case-insensitive */
    AFW_MATCH_PORT = 5,    /* port_low..port_high inclusive */
    AFW_MATCH_ADDRESS = 6, /* CIDR: family, prefix_length, address */
};

struct afw_table_matcher {
    uint8_t key;            /* afw_match_key */
    uint8_t family;         /* ADDRESS: 4 or 6 */
    uint8_t prefix_length;  /* ADDRESS: 0..32 or 0..128 */
    uint8_t reserved;
    uint32_t glob_str;      /* PATH/COMMAND/PROGRAM/HOST: offset into the string pool */
    uint16_t port_low;      /* PORT */
    uint16_t port_high;     /* PORT */
    uint8_t address[16];    /* ADDRESS: network byte order; IPv4 in the first 4 bytes */
};

/* ---------------------------------------------------------------------------------------
 * Event record
 *
 * One normalised call, as it travels through either ring. A fixed head, then `strings_size`
 * bytes of NUL-terminated strings:
 *   every surface: exe (the calling process's /proc/self/exe), then
 *   FILE:    resolved path, requested path (absolute, lexically normalised, before symlinks)
 *   EXEC:    program (absolute, after PATH search), then argc strings of argv
 *   NETWORK: host name the process resolved for the address ("" when unknown)
 * `total_size` = sizeof(struct afw_event_head) + strings_size, 8-byte aligned.
 * ------------------------------------------------------------------------------------- */

enum afw_event_flags {
    AFW_EVENT_TRUNCATED = 1u << 0, /* strings did not fit; the subject is cut short */
    AFW_EVENT_MONITOR = 1u << 1,   /* decided in monitor mode: recorded, not enforced */
    /* EXEC: the program has no PT_INTERP (a static binary): the dynamic loader never loads
     * the shim into it, so its own opens, execs and connects are not decided. Recorded so the
     * audit shows where coverage ends. */
    AFW_EVENT_STATIC_BINARY = 1u << 2,
};

struct afw_event_head {
    uint32_t total_size;
    uint32_t strings_size;
    uint8_t surface;        /* afw_surface */
    uint8_t access;         /* FILE: afw_access bits */
    uint8_t family;         /* NETWORK: 4 or 6 */
    uint8_t flags;          /* afw_event_flags */
    uint16_t port;          /* NETWORK: host byte order */
    uint16_t argc;          /* EXEC */
    int32_t pid;
    int32_t ppid;
    int32_t tid;
    /* Filled when the event was decided (event ring) or answered (request ring). */
    uint8_t action;         /* afw_action */
    uint8_t path;           /* afw_decision_path */
    uint8_t reserved[2];
    int32_t rule_index;     /* index into the table's rules, or AFW_RULE_DEFAULT */
    uint32_t reserved2;
    uint64_t time_ns;       /* CLOCK_REALTIME when the call was made */
    uint64_t latency_ns;    /* CLOCK_MONOTONIC: from the hook's entry to its decision */
    uint8_t address[16];    /* NETWORK: network byte order */
    char op[16];            /* the libc entry point, e.g. "openat", "execvp", "connect" */
};

/* ---------------------------------------------------------------------------------------
 * Shared segment
 *
 * header | request ring | event ring | table (read-only for the shim once mapped)
 * Offsets are from the start of the segment and 64 KiB aligned (any page size can protect
 * the table). The rings come first, at offsets fixed by the slot constants, because the agent
 * can rewrite the header: the supervisor's ring code never takes an offset from it, and
 * afw_segment_check insists that the header's offsets agree with the fixed ones.
 * ------------------------------------------------------------------------------------- */

enum afw_segment_state {
    AFW_STATE_STARTING = 0,
    AFW_STATE_LIVE = 1,
    AFW_STATE_DEAD = 2, /* the supervisor is gone: calls that need it are denied */
};

enum afw_segment_flags {
    AFW_SEGMENT_MONITOR = 1u << 0, /* --mode monitor: decide and record, enforce nothing */
    AFW_SEGMENT_QUIET = 1u << 1,   /* --quiet: no "agentfirewall: blocked ..." lines */
    AFW_SEGMENT_AUDIT = 1u << 2,   /* --audit given: post decided events to the event ring */
};

/*
 * Request ring: a fixed array of slots. A slot's `state` is also its futex word.
 * Client:     FREE -CAS-> CLAIMED, write event, store READY, ring the doorbell,
 *             futex-wait on state until ANSWERED, read the answer, store FREE.
 * Supervisor: READY -CAS-> SERVING, copy the event out, decide, write the answer into the
 *             slot's event head (action, rule_index, path), store ANSWERED, futex-wake.
 * The client never waits forever: it re-checks the supervisor's liveness between bounded
 * futex waits and denies when it is gone (fail closed).
 */
enum afw_slot_state {
    AFW_SLOT_FREE = 0,
    AFW_SLOT_CLAIMED = 1,
    AFW_SLOT_READY = 2,
    AFW_SLOT_SERVING = 3,
    AFW_SLOT_ANSWERED = 4,
};

#define AFW_REQ_SLOT_COUNT 64u
#define AFW_REQ_SLOT_SIZE 16384u /* header + event: an execve with a long argv still fits */

struct afw_req_slot_header {
    uint32_t state;          /* afw_slot_state; futex word */
    int32_t owner_pid;       /* the client, so the supervisor can reclaim a dead client's slot */
    uint64_t ticket;         /* increments on every claim; detects a slot reused under us */
};
#define AFW_REQ_EVENT_MAX (AFW_REQ_SLOT_SIZE - sizeof(struct afw_req_slot_header))

/*
 * Event ring: a bounded multi-producer single-consumer queue (Vyukov). Slot i starts with
 * seq = i. (A slot stores seq minus i, so an all-zero ring is a fresh one: see event_ring.c.)
 * A producer at position pos owns slot pos % count when slot.seq == pos; it claims
 * pos by CAS on evt_tail, writes, then publishes slot.seq = pos + 1. The consumer reads the
 * slot at evt_head when slot.seq == head + 1 and releases it with slot.seq = head + count.
 * A full ring never blocks a producer: it adds one to evt_dropped and the call goes on.
 */
#define AFW_EVT_SLOT_COUNT 1024u
#define AFW_EVT_SLOT_SIZE 4096u

struct afw_evt_slot_header {
    uint64_t seq;
};
#define AFW_EVT_EVENT_MAX (AFW_EVT_SLOT_SIZE - sizeof(struct afw_evt_slot_header))

/* An exec the shim has decided but libc will make (posix_spawn, system, popen run it in a
 * child libc creates, whose execve the backstop would otherwise decide, record and review a
 * second time). The backstop lets one matching exec of a child of `parent_pid` through
 * unasked before `expires_ns`. Agent-writable like everything here: in the standard mode a
 * program can get past the backstop anyway (the gadget page); the paranoid mode ignores tokens. */
struct afw_spawn_token {
    int32_t parent_pid;
    uint32_t program_hash;   /* FNV-1a of the program's absolute path */
    uint64_t expires_ns;     /* CLOCK_MONOTONIC; 0: free (written last, atomic) */
};
#define AFW_SPAWN_TOKEN_COUNT 6u
#define AFW_SPAWN_TOKEN_LIFETIME_NS 5000000000ull

struct afw_segment_header {
    uint64_t magic;              /* AFW_ABI_MAGIC */
    uint32_t abi_version;        /* AFW_ABI_VERSION */
    uint32_t header_size;        /* sizeof(struct afw_segment_header) */
    uint64_t segment_size;
    int32_t supervisor_pid;
    uint32_t state;              /* afw_segment_state (atomic) */
    uint32_t flags;              /* afw_segment_flags */
    uint32_t generation;         /* bumped when the table is replaced */
    uint64_t table_offset;
    uint64_t table_size;
    uint64_t req_offset;
    uint32_t req_slot_count;
    uint32_t req_slot_size;
    uint64_t evt_offset;
    uint32_t evt_slot_count;
    uint32_t evt_slot_size;
    /* Doorbell: producers add one and FUTEX_WAKE it, but only when the supervisor has said
     * it is about to sleep (supervisor_waiting != 0), so the fast path makes no syscall
     * while the supervisor is busy draining. */
    uint32_t doorbell;           /* futex word (atomic) */
    uint32_t supervisor_waiting; /* atomic */
    uint32_t req_released;       /* futex word: bumped when a request slot is freed */
    uint32_t reserved0;
    uint64_t evt_tail;           /* atomic, producers */
    uint64_t evt_head;           /* atomic, written by the supervisor only */
    uint64_t evt_dropped;        /* atomic: events lost to a full ring */
    uint64_t allowed_counted;    /* atomic: fast-path allows counted, not listed */
    uint64_t req_ticket;         /* atomic: source of afw_req_slot_header.ticket */
    struct afw_spawn_token spawn_tokens[AFW_SPAWN_TOKEN_COUNT];
    uint8_t reserved[16];
};

/* ---------------------------------------------------------------------------------------
 * Environment: how a process finds its run. The shim keeps a copy of these at load time and
 * puts them back into every child's environment, so `env -i` does not escape.
 * ------------------------------------------------------------------------------------- */
#define AFW_ENV_SHM "AGENTFIREWALL_SHM"         /* shm_open name of the segment */
#define AFW_ENV_PRELOAD_PATH "AGENTFIREWALL_PRELOAD" /* where the .so is (for re-injection) */
#define AFW_ENV_PREFIX "AGENTFIREWALL_"
/* The run's seccomp backstop: "standard" or "paranoid"; unset with --no-backstop. */
#define AFW_ENV_BACKSTOP "AGENTFIREWALL_BACKSTOP"
#define AFW_ENV_BACKSTOP_STANDARD "standard"
#define AFW_ENV_BACKSTOP_PARANOID "paranoid"

/* ---------------------------------------------------------------------------------------
 * The shim's system-call gadget. Under the standard backstop every process of the agent
 * runs under a seccomp filter that sends its opens, execs, connects and sends to the
 * supervisor, except those whose system-call instruction lies in this page: the shim maps
 * it at this fixed address (the filter is compiled before any process exists, so the
 * address cannot be chosen per process) and makes the calls it has already decided from
 * there, so a decided call costs no second round trip. A page nothing else maps: above
 * where x86_64 Linux puts PIE executables and the heap (0x55..., 0x56...), far below the
 * mmap area and the stack (0x7f...).
 * ------------------------------------------------------------------------------------- */
#define AFW_GADGET_ADDRESS 0xaf100000000ULL
#define AFW_GADGET_SIZE 4096u

/* ---------------------------------------------------------------------------------------
 * Layout pins: the two sides are compiled separately; these make a drift a compile error.
 * ------------------------------------------------------------------------------------- */
_Static_assert(sizeof(struct afw_table_header) == 56, "table header size");
_Static_assert(sizeof(struct afw_table_rule) == 20, "table rule size");
_Static_assert(sizeof(struct afw_table_matcher) == 28, "table matcher size");
_Static_assert(sizeof(struct afw_event_head) == 88, "event head size");
_Static_assert(__builtin_offsetof(struct afw_event_head, rule_index) == 32, "event rule_index");
_Static_assert(__builtin_offsetof(struct afw_event_head, time_ns) == 40, "event time_ns");
_Static_assert(__builtin_offsetof(struct afw_event_head, address) == 56, "event address");
_Static_assert(__builtin_offsetof(struct afw_event_head, op) == 72, "event op");
_Static_assert(sizeof(struct afw_req_slot_header) == 16, "request slot header size");
_Static_assert(sizeof(struct afw_evt_slot_header) == 8, "event slot header size");
_Static_assert(sizeof(struct afw_segment_header) == 256, "segment header size");
_Static_assert(__builtin_offsetof(struct afw_segment_header, state) == 28, "segment state");
_Static_assert(__builtin_offsetof(struct afw_segment_header, doorbell) == 88, "segment doorbell");
_Static_assert(__builtin_offsetof(struct afw_segment_header, evt_tail) == 104, "segment evt_tail");
_Static_assert(AFW_REQ_SLOT_SIZE % 64 == 0 && AFW_EVT_SLOT_SIZE % 64 == 0, "slots are cache-line multiples");

#endif
