/*
 * shim.c: the process's firewall state: finds the run's segment, maps and checks it, and
 * keeps what the decisions need (table, flags, pid, exe). Initialised by a constructor and,
 * because another library's constructor may make a covered call before ours runs, lazily by
 * the first hook as well.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"
#include "thread_state.h"

bool afw_shim_busy(void) {
    return afw_thread_get(AFW_THREAD_GUARD) != 0;
}

static void guard_enter(void) {
    afw_thread_set(AFW_THREAD_GUARD, afw_thread_get(AFW_THREAD_GUARD) + 1);
}

static void guard_leave(void) {
    afw_thread_set(AFW_THREAD_GUARD, afw_thread_get(AFW_THREAD_GUARD) - 1);
}

enum init_progress {
    INIT_NOT_STARTED = 0,
    INIT_RUNNING = 1,
    INIT_DONE = 2,
};
static int init_progress;
static struct afw_shim_state state;
/* Why the segment is unusable, said once on stderr at the first denied call. */
static const char *broken_reason;
static int broken_reported;

static void become_broken(const char *reason) {
    state.mode = AFW_SHIM_BROKEN;
    broken_reason = reason;
}

static void map_segment(const char *name) {
    /* shm_open's own open, made here so that it goes through the gadget: libc's internal
     * open would cost every process one more round trip to the supervisor at start. */
    char path[256];
    int length = snprintf(path, sizeof path, "/dev/shm%s", name);
    int fd = name[0] == '/' && strchr(name + 1, '/') == NULL && length > 0 && (size_t)length < sizeof path
                 ? (int)afw_direct_syscall(SYS_openat, AT_FDCWD, (long)path, O_RDWR | O_CLOEXEC | O_NOFOLLOW, 0, 0, 0)
                 : -1;
    if (fd < 0) {
        become_broken("cannot open the shared segment");
        return;
    }
    struct stat status;
    if (fstat(fd, &status) != 0 || status.st_size < (off_t)sizeof(struct afw_segment_header)) {
        close(fd);
        become_broken("the shared segment is too small");
        return;
    }
    size_t size = (size_t)status.st_size;
    void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        become_broken("cannot map the shared segment");
        return;
    }
    struct afw_segment_header *segment = base;
    if (afw_segment_check(segment, size) != AFW_OK) {
        munmap(base, size);
        become_broken("the shared segment fails its checks (another agentfirewall version?)");
        return;
    }
    /* The checked values are kept here, in private memory: the segment stays writable by
     * the agent, and a table offset rewritten after the check must not move our reads. */
    size_t table_offset = (size_t)segment->table_offset;
    state.table_size = (size_t)segment->table_size;
    state.table = (const char *)base + table_offset;
    state.segment_flags = segment->flags;
    state.table_flags = ((const struct afw_table_header *)state.table)->flags;
    /* The table is the last region and starts on a page boundary (segment_layout.h). A
     * stray write into it from this process now faults instead of changing the policy. */
    if (mprotect((char *)base + table_offset, size - table_offset, PROT_READ) != 0) {
        munmap(base, size);
        become_broken("cannot make the policy table read-only");
        return;
    }
    state.segment = segment;
    state.mode = AFW_SHIM_ACTIVE;
}

int32_t afw_thread_id(void) {
    uintptr_t cached = afw_thread_get(AFW_THREAD_ID);
    if (cached == 0) {
        cached = (uintptr_t)gettid();
        afw_thread_set(AFW_THREAD_ID, cached);
    }
    return (int32_t)cached;
}

static void refresh_ids(void) {
    state.pid = (int32_t)getpid();
    state.ppid = (int32_t)getppid();
}

/* fork: the child has a new pid; its only thread continues in the child. */
static void after_fork_in_child(void) {
    refresh_ids();
    afw_thread_state_after_fork();
    /* A fork while another thread was initialising: that thread does not exist here. */
    if (__atomic_load_n(&init_progress, __ATOMIC_ACQUIRE) == INIT_RUNNING) {
        __atomic_store_n(&init_progress, INIT_NOT_STARTED, __ATOMIC_RELEASE);
    }
}

static void initialise(void) {
    afw_env_capture();
    refresh_ids();
    ssize_t length = readlink("/proc/self/exe", state.exe, sizeof state.exe - 1);
    state.exe[length > 0 ? length : 0] = '\0';
    /* Not under a run: pass everything. Set at all (even empty) means under a run, and a
     * segment that cannot be used then denies (fail closed). */
    const char *backstop = afw_env_saved(AFW_ENV_BACKSTOP);
    if (backstop != NULL && strcmp(backstop, AFW_ENV_BACKSTOP_PARANOID) == 0) {
        state.backstop = AFW_BACKSTOP_PARANOID;
    } else if (backstop != NULL && strcmp(backstop, AFW_ENV_BACKSTOP_STANDARD) == 0) {
        state.backstop = AFW_BACKSTOP_STANDARD;
        afw_gadget_map();
    }
    const char *name = afw_env_saved(AFW_ENV_SHM);
    if (name == NULL) {
        state.mode = AFW_SHIM_INACTIVE;
    } else if (!afw_thread_state_usable()) {
        become_broken("no thread-specific key is left for the re-entrancy guard");
    } else {
        map_segment(name);
    }
    pthread_atfork(NULL, NULL, after_fork_in_child);
}

const struct afw_shim_state *afw_shim_state(void) {
    for (;;) {
        int progress = __atomic_load_n(&init_progress, __ATOMIC_ACQUIRE);
        if (progress == INIT_DONE) {
            return &state;
        }
        if (progress == INIT_NOT_STARTED &&
            __atomic_compare_exchange_n(&init_progress, &progress, INIT_RUNNING, false,
                                        __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            initialise();
            __atomic_store_n(&init_progress, INIT_DONE, __ATOMIC_RELEASE);
            return &state;
        }
        /* Another thread is mapping the segment (a few syscalls): wait for it rather than
         * let this call through undecided. */
        sched_yield();
    }
}

__attribute__((constructor)) static void afw_shim_constructor(void) {
    guard_enter();
    afw_shim_state();
    guard_leave();
}

uint64_t afw_monotonic_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static void report_broken_once(void) {
    if (__atomic_exchange_n(&broken_reported, 1, __ATOMIC_ACQ_REL) != 0) {
        return;
    }
    char line[512];
    int length = snprintf(line, sizeof line,
                          "agentfirewall: %s (" AFW_ENV_SHM "=%s); denying file, exec and network calls "
                          "(fail closed)\n",
                          broken_reason, afw_env_saved(AFW_ENV_SHM));
    if (length > 0) {
        ssize_t written = write(STDERR_FILENO, line, (size_t)length < sizeof line ? (size_t)length : sizeof line - 1);
        (void)written;
    }
}

struct afw_entry afw_enter(void) {
    struct afw_entry entry = {.saved_errno = errno};
    guard_enter();
    const struct afw_shim_state *current = afw_shim_state();
    switch (current->mode) {
    case AFW_SHIM_ACTIVE:
        if (current->backstop == AFW_BACKSTOP_PARANOID) {
            /* The supervisor decides every call, and records and reports it: a decision
             * here, from a table in the agent's own memory, would only repeat it. */
            entry.gate = AFW_GATE_PASS;
            break;
        }
        entry.gate = AFW_GATE_DECIDE;
        entry.started_ns = afw_monotonic_ns();
        break;
    case AFW_SHIM_BROKEN:
        entry.gate = AFW_GATE_DENY;
        report_broken_once();
        break;
    default:
        entry.gate = AFW_GATE_PASS;
        break;
    }
    return entry;
}

int afw_gate_verdict(const struct afw_entry *entry) {
    return entry->gate == AFW_GATE_DENY ? -1 : 0;
}

int afw_leave(const struct afw_entry *entry, int verdict) {
    guard_leave();
    errno = verdict == 0 ? entry->saved_errno : EACCES;
    return verdict;
}
