/*
 * event_ring.c: the audit queue from every agent thread (producers) to the supervisor
 * (single consumer). A bounded Vyukov queue, as described in agentfirewall_abi.h: a
 * producer never waits, so auditing can never stall the agent; a full ring loses the
 * record and counts the loss for the audit summary.
 */
#include <string.h>

#include "afw_core.h"
#include "futex.h"
#include "segment_layout.h"

/* A scribbled tail or sequence number could keep a producer retrying forever; after this
 * many lost races the record is counted as dropped instead. Honest contention among a few
 * hundred threads settles far sooner. */
#define AFW_EVT_MAX_ATTEMPTS 4096

static void *slot_data(struct afw_evt_slot_header *slot) {
    return (char *)slot + sizeof *slot;
}

/* The producer half of the doorbell protocol (see afw_supervisor_wait). */
static void ring_doorbell_if_sleeping(struct afw_segment_header *segment) {
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (__atomic_load_n(&segment->supervisor_waiting, __ATOMIC_SEQ_CST) != 0) {
        __atomic_add_fetch(&segment->doorbell, 1, __ATOMIC_SEQ_CST);
        afw_futex_wake_all(&segment->doorbell);
    }
}

/* A slot stores its sequence number minus its own index (position % count), so that a
 * freshly created, all-zero segment already holds seq = index in every slot: the supervisor
 * need not write (and fault in) the ring's 4 MiB of pages at start. */
static uint64_t load_seq(struct afw_evt_slot_header *slot, uint64_t position, int order) {
    return __atomic_load_n(&slot->seq, order) + position % AFW_EVT_SLOT_COUNT;
}

static void store_seq(struct afw_evt_slot_header *slot, uint64_t position, uint64_t seq) {
    __atomic_store_n(&slot->seq, seq - position % AFW_EVT_SLOT_COUNT, __ATOMIC_RELEASE);
}

int afw_evt_push(struct afw_segment_header *segment, const void *record, size_t size) {
    if (size < sizeof(struct afw_event_head) || size > AFW_EVT_EVENT_MAX) {
        return AFW_E_INVALID;
    }
    uint64_t position = __atomic_load_n(&segment->evt_tail, __ATOMIC_RELAXED);
    for (int attempt = 0; attempt < AFW_EVT_MAX_ATTEMPTS; attempt++) {
        struct afw_evt_slot_header *slot = afw_layout_evt_slot(segment, position);
        uint64_t seq = load_seq(slot, position, __ATOMIC_ACQUIRE);
        int64_t lag = (int64_t)(seq - position);
        if (lag == 0) {
            if (__atomic_compare_exchange_n(&segment->evt_tail, &position, position + 1, true,
                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
                memcpy(slot_data(slot), record, size);
                store_seq(slot, position, position + 1);
                ring_doorbell_if_sleeping(segment);
                return AFW_OK;
            }
            /* Lost the race: position now holds the current tail. */
        } else if (lag < 0) {
            /* The consumer has not released this slot from the previous lap: full. */
            break;
        } else {
            position = __atomic_load_n(&segment->evt_tail, __ATOMIC_RELAXED);
        }
    }
    __atomic_add_fetch(&segment->evt_dropped, 1, __ATOMIC_RELAXED);
    return AFW_E_FULL;
}

bool afw_evt_has_record(struct afw_segment_header *segment) {
    uint64_t head = __atomic_load_n(&segment->evt_head, __ATOMIC_RELAXED);
    return load_seq(afw_layout_evt_slot(segment, head), head, __ATOMIC_SEQ_CST) == head + 1;
}

long afw_evt_pop(struct afw_segment_header *segment, void *out, size_t capacity) {
    uint64_t head = __atomic_load_n(&segment->evt_head, __ATOMIC_RELAXED);
    struct afw_evt_slot_header *slot = afw_layout_evt_slot(segment, head);
    if (load_seq(slot, head, __ATOMIC_ACQUIRE) != head + 1) {
        return 0;
    }
    /* The size is read once and checked against the slot before anything is copied: the
     * agent may have written any value there. */
    uint32_t claimed;
    memcpy(&claimed, slot_data(slot), sizeof claimed);
    long result;
    if (claimed < sizeof(struct afw_event_head) || claimed > AFW_EVT_EVENT_MAX || claimed > capacity) {
        result = AFW_E_INVALID;
    } else {
        memcpy(out, slot_data(slot), claimed);
        result = (long)claimed;
    }
    /* Released even when invalid, so one bad record cannot wedge the ring. */
    store_seq(slot, head, head + AFW_EVT_SLOT_COUNT);
    __atomic_store_n(&segment->evt_head, head + 1, __ATOMIC_RELEASE);
    return result;
}
