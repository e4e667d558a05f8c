/*
 * segment.c: lays out, checks and watches the shared segment (header | request ring |
 * event ring | table; see segment_layout.h for why in that order).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <signal.h>
#include <string.h>

#include "afw_core.h"
#include "futex.h"
#include "segment_layout.h"

size_t afw_segment_size(size_t table_size) {
    if (table_size > SIZE_MAX - AFW_LAYOUT_TABLE_OFFSET - AFW_LAYOUT_ALIGN) {
        return 0;
    }
    return AFW_LAYOUT_TABLE_OFFSET + AFW_LAYOUT_ALIGN_UP(table_size);
}

int afw_segment_init(void *base, size_t size, const void *table, size_t table_size,
                     int32_t supervisor_pid, uint32_t flags) {
    size_t needed = afw_segment_size(table_size);
    if (base == NULL || needed == 0 || size < needed) {
        return AFW_E_INVALID;
    }
    /* The supervisor never publishes a table that every shim would then reject. */
    if (afw_table_validate(table, table_size) != AFW_OK) {
        return AFW_E_INVALID;
    }
    struct afw_segment_header *segment = base;
    memset(segment, 0, sizeof *segment);
    segment->abi_version = AFW_ABI_VERSION;
    segment->header_size = sizeof *segment;
    segment->segment_size = needed;
    segment->supervisor_pid = supervisor_pid;
    segment->state = AFW_STATE_STARTING;
    segment->flags = flags;
    segment->generation = 1;
    segment->table_offset = AFW_LAYOUT_TABLE_OFFSET;
    segment->table_size = table_size;
    segment->req_offset = AFW_LAYOUT_REQ_OFFSET;
    segment->req_slot_count = AFW_REQ_SLOT_COUNT;
    segment->req_slot_size = AFW_REQ_SLOT_SIZE;
    segment->evt_offset = AFW_LAYOUT_EVT_OFFSET;
    segment->evt_slot_count = AFW_EVT_SLOT_COUNT;
    segment->evt_slot_size = AFW_EVT_SLOT_SIZE;
    memcpy((char *)base + AFW_LAYOUT_TABLE_OFFSET, table, table_size);
    for (uint32_t i = 0; i < AFW_REQ_SLOT_COUNT; i++) {
        memset(afw_layout_req_slot(segment, i), 0, sizeof(struct afw_req_slot_header));
    }
    /* Vyukov: slot i starts owned by the producer at position i, which a zero in its seq
     * field says (event_ring.c stores seq minus the slot's index). The caller hands over a
     * zeroed segment (a new shared-memory object is), so the event slots are not written. */
    /* The magic last: a reader that sees it sees a complete layout. */
    __atomic_store_n(&segment->magic, AFW_ABI_MAGIC, __ATOMIC_RELEASE);
    return AFW_OK;
}

void afw_segment_set_state(struct afw_segment_header *segment, uint32_t state) {
    __atomic_store_n(&segment->state, state, __ATOMIC_SEQ_CST);
    if (state == AFW_STATE_DEAD) {
        /* Clients waiting for an answer or a free slot deny at once instead of at the end
         * of their current bounded wait. */
        for (uint32_t i = 0; i < AFW_REQ_SLOT_COUNT; i++) {
            afw_futex_wake_all(&afw_layout_req_slot(segment, i)->state);
        }
        __atomic_add_fetch(&segment->req_released, 1, __ATOMIC_SEQ_CST);
        afw_futex_wake_all(&segment->req_released);
    }
}

static bool region_inside(uint64_t offset, uint64_t length, uint64_t limit) {
    return offset <= limit && length <= limit - offset;
}

int afw_segment_check(const struct afw_segment_header *segment, size_t mapped_size) {
    if (segment == NULL || mapped_size < sizeof *segment) {
        return AFW_E_INVALID;
    }
    /* Each field is read once: another process can change the header while we look, and a
     * value checked twice could differ between the checks. */
    struct afw_segment_header h;
    memcpy(&h, segment, sizeof h);
    if (h.magic != AFW_ABI_MAGIC || h.abi_version != AFW_ABI_VERSION || h.header_size != sizeof h) {
        return AFW_E_INVALID;
    }
    if (h.segment_size > mapped_size || h.state > AFW_STATE_DEAD) {
        return AFW_E_INVALID;
    }
    if (h.req_offset != AFW_LAYOUT_REQ_OFFSET || h.req_slot_count != AFW_REQ_SLOT_COUNT ||
        h.req_slot_size != AFW_REQ_SLOT_SIZE || h.evt_offset != AFW_LAYOUT_EVT_OFFSET ||
        h.evt_slot_count != AFW_EVT_SLOT_COUNT || h.evt_slot_size != AFW_EVT_SLOT_SIZE ||
        h.table_offset != AFW_LAYOUT_TABLE_OFFSET) {
        return AFW_E_INVALID;
    }
    if (h.table_size < sizeof(struct afw_table_header) ||
        !region_inside(h.table_offset, h.table_size, h.segment_size)) {
        return AFW_E_INVALID;
    }
    return afw_table_validate((const char *)segment + h.table_offset, (size_t)h.table_size);
}

/* A supervisor killed by SIGKILL stays a zombie until its parent reaps it, and kill(pid, 0)
 * succeeds on a zombie: without this check a client would wait on a dead supervisor for as
 * long as the parent neglects to reap it. The state letter follows the last ')' of
 * /proc/PID/stat (the command name before it may itself contain ')'). */
static bool process_is_dead_zombie(int32_t pid) {
    char path[32];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false; /* no /proc: fall back to kill(pid, 0) alone */
    }
    char buffer[512];
    ssize_t length = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (length <= 0) {
        return false;
    }
    buffer[length] = '\0';
    const char *end_of_name = strrchr(buffer, ')');
    return end_of_name != NULL && end_of_name[1] == ' ' && (end_of_name[2] == 'Z' || end_of_name[2] == 'X');
}

bool afw_supervisor_alive(const struct afw_segment_header *segment) {
    if (__atomic_load_n(&segment->state, __ATOMIC_ACQUIRE) != AFW_STATE_LIVE) {
        return false;
    }
    int32_t pid = __atomic_load_n(&segment->supervisor_pid, __ATOMIC_RELAXED);
    /* kill(0 or negative, 0) would address a process group, not the supervisor. */
    if (pid <= 0) {
        return false;
    }
    int saved_errno = errno;
    /* EPERM still means the process exists (a supervisor of another uid). */
    bool alive = (kill(pid, 0) == 0 || errno != ESRCH) && !process_is_dead_zombie(pid);
    errno = saved_errno;
    return alive;
}

void afw_supervisor_wait(struct afw_segment_header *segment, int timeout_ms) {
    /* Dekker with the producers: we announce that we sleep, then look for work; a producer
     * publishes its work, then looks for our announcement (both seq_cst). At least one of
     * the two sees the other, so a record is never left unseen while we sleep. The doorbell
     * is read before the announcement: a producer (or afw_supervisor_wake) that saw the
     * announcement rings after that read, so the futex compare fails instead of sleeping. */
    uint32_t doorbell = __atomic_load_n(&segment->doorbell, __ATOMIC_SEQ_CST);
    __atomic_store_n(&segment->supervisor_waiting, 1, __ATOMIC_SEQ_CST);
    if (!afw_evt_has_record(segment) && !afw_req_has_ready(segment)) {
        afw_futex_wait(&segment->doorbell, doorbell, timeout_ms);
    }
    __atomic_store_n(&segment->supervisor_waiting, 0, __ATOMIC_SEQ_CST);
}

void afw_supervisor_wake(struct afw_segment_header *segment) {
    __atomic_add_fetch(&segment->doorbell, 1, __ATOMIC_SEQ_CST);
    afw_futex_wake_all(&segment->doorbell);
}
