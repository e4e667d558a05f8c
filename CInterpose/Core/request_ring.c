/*
 * request_ring.c: the slow path. A client (an agent thread whose call needs a review)
 * posts its event in a slot and sleeps until the supervisor answers in the same slot. The
 * protocol is in agentfirewall_abi.h; what this file adds is how each side survives the
 * other: the client never trusts that the supervisor is still there, and the supervisor
 * never trusts a byte the client wrote.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "afw_core.h"
#include "futex.h"
#include "segment_layout.h"

/* How long a client sleeps before it re-checks that the supervisor is alive. A review can
 * take minutes (a human decides), so the client keeps waiting while the supervisor lives;
 * this bounds only how late it notices a crash. */
#define AFW_REQ_LIVENESS_MS 250

static struct afw_event_head *slot_event(struct afw_req_slot_header *slot) {
    return (struct afw_event_head *)((char *)slot + sizeof *slot);
}

static void announce_released(struct afw_segment_header *segment) {
    __atomic_add_fetch(&segment->req_released, 1, __ATOMIC_SEQ_CST);
    afw_futex_wake_all(&segment->req_released);
}

/* Frees a slot that is in state `from`, unless its state moved meanwhile. It passes
 * through CLAIMED so that owner_pid is cleared while nobody else can claim the slot: a
 * stale pid of a dead client, seen by afw_req_reclaim in the moment between a new claim
 * and its owner_pid store, would pull the slot from under the new, live client. */
static bool release_slot(struct afw_segment_header *segment, struct afw_req_slot_header *slot,
                         uint32_t from) {
    if (!__atomic_compare_exchange_n(&slot->state, &from, AFW_SLOT_CLAIMED, false,
                                     __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        return false;
    }
    __atomic_store_n(&slot->owner_pid, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->state, AFW_SLOT_FREE, __ATOMIC_RELEASE);
    announce_released(segment);
    return true;
}

static bool pid_gone(int32_t pid) {
    int saved_errno = errno;
    bool gone = kill(pid, 0) != 0 && errno == ESRCH;
    errno = saved_errno;
    return gone;
}

/* Claims a FREE slot, or returns NULL when every slot is taken. The scan starts at a
 * rotating index so that concurrent clients do not all fight over slot 0. */
static struct afw_req_slot_header *claim_slot(struct afw_segment_header *segment, uint64_t ticket) {
    for (uint32_t i = 0; i < AFW_REQ_SLOT_COUNT; i++) {
        struct afw_req_slot_header *slot = afw_layout_req_slot(segment, (uint32_t)(ticket + i));
        uint32_t expected = AFW_SLOT_FREE;
        if (__atomic_compare_exchange_n(&slot->state, &expected, AFW_SLOT_CLAIMED, false,
                                        __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            return slot;
        }
    }
    return NULL;
}

int afw_req_call(struct afw_segment_header *segment, const void *record, size_t size,
                 struct afw_event_head *answer) {
    if (size < sizeof(struct afw_event_head) || size > AFW_REQ_EVENT_MAX) {
        return AFW_E_INVALID;
    }
    struct afw_req_slot_header *slot = NULL;
    uint64_t ticket = 0;
    while (slot == NULL) {
        if (!afw_supervisor_alive(segment)) {
            return AFW_E_GONE;
        }
        /* Read before the scan: a slot freed after it changes the word, so the wait
         * below returns at once instead of sleeping through the release. */
        uint32_t released = __atomic_load_n(&segment->req_released, __ATOMIC_SEQ_CST);
        ticket = __atomic_add_fetch(&segment->req_ticket, 1, __ATOMIC_RELAXED);
        slot = claim_slot(segment, ticket);
        if (slot == NULL) {
            /* Backpressure: a full ring pauses the call; it never skips the decision. */
            afw_futex_wait(&segment->req_released, released, AFW_REQ_LIVENESS_MS);
        }
    }
    memcpy(slot_event(slot), record, size);
    __atomic_store_n(&slot->owner_pid, (int32_t)getpid(), __ATOMIC_RELAXED);
    __atomic_store_n(&slot->ticket, ticket, __ATOMIC_RELAXED);
    __atomic_store_n(&slot->state, AFW_SLOT_READY, __ATOMIC_SEQ_CST);
    __atomic_add_fetch(&segment->doorbell, 1, __ATOMIC_SEQ_CST);
    afw_futex_wake_all(&segment->doorbell);

    for (;;) {
        uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
        bool still_ours = __atomic_load_n(&slot->ticket, __ATOMIC_RELAXED) == ticket;
        if (state == AFW_SLOT_ANSWERED && still_ours) {
            memcpy(answer, slot_event(slot), sizeof *answer);
            release_slot(segment, slot, AFW_SLOT_ANSWERED);
            return AFW_OK;
        }
        if ((state != AFW_SLOT_READY && state != AFW_SLOT_SERVING) || !still_ours) {
            /* Someone else rewrote our slot; whatever it says now is not our answer. */
            return AFW_E_GONE;
        }
        if (!afw_supervisor_alive(segment)) {
            /* Give the slot back unless the state moved under us; nobody will serve it. */
            release_slot(segment, slot, state);
            return AFW_E_GONE;
        }
        afw_futex_wait(&slot->state, state, AFW_REQ_LIVENESS_MS);
    }
}

bool afw_req_has_ready(struct afw_segment_header *segment) {
    for (uint32_t i = 0; i < AFW_REQ_SLOT_COUNT; i++) {
        if (__atomic_load_n(&afw_layout_req_slot(segment, i)->state, __ATOMIC_SEQ_CST) == AFW_SLOT_READY) {
            return true;
        }
    }
    return false;
}

long afw_req_take(struct afw_segment_header *segment, uint32_t *slot_index, void *out, size_t capacity) {
    for (;;) {
        /* Oldest ticket first, so a busy client cannot starve a slot that was posted
         * earlier. */
        uint32_t chosen = AFW_REQ_SLOT_COUNT;
        uint64_t oldest = UINT64_MAX;
        for (uint32_t i = 0; i < AFW_REQ_SLOT_COUNT; i++) {
            struct afw_req_slot_header *slot = afw_layout_req_slot(segment, i);
            if (__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) != AFW_SLOT_READY) {
                continue;
            }
            uint64_t ticket = __atomic_load_n(&slot->ticket, __ATOMIC_RELAXED);
            if (chosen == AFW_REQ_SLOT_COUNT || ticket < oldest) {
                chosen = i;
                oldest = ticket;
            }
        }
        if (chosen == AFW_REQ_SLOT_COUNT) {
            return 0;
        }
        struct afw_req_slot_header *slot = afw_layout_req_slot(segment, chosen);
        uint32_t expected = AFW_SLOT_READY;
        if (!__atomic_compare_exchange_n(&slot->state, &expected, AFW_SLOT_SERVING, false,
                                         __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            continue; /* the client gave up on it meanwhile */
        }
        *slot_index = chosen;
        /* The size is read once and checked against the slot before the copy; the copy is
         * what the caller decodes, so later scribbles in the slot cannot reach it. */
        uint32_t claimed;
        memcpy(&claimed, slot_event(slot), sizeof claimed);
        if (claimed < sizeof(struct afw_event_head) || claimed > AFW_REQ_EVENT_MAX || claimed > capacity) {
            /* Fail closed: the client gets a denial instead of hanging on a slot that no
             * caller will ever answer. */
            afw_req_answer(segment, chosen, AFW_ACTION_BLOCK, AFW_RULE_DEFAULT, AFW_PATH_SLOW);
            return AFW_E_INVALID;
        }
        memcpy(out, slot_event(slot), claimed);
        return (long)claimed;
    }
}

void afw_req_answer(struct afw_segment_header *segment, uint32_t slot_index, uint8_t action,
                    int32_t rule_index, uint8_t path) {
    if (slot_index >= AFW_REQ_SLOT_COUNT) {
        return;
    }
    struct afw_req_slot_header *slot = afw_layout_req_slot(segment, slot_index);
    if (__atomic_load_n(&slot->state, __ATOMIC_ACQUIRE) != AFW_SLOT_SERVING) {
        return; /* reclaimed or abandoned: the slot may already hold someone else's record */
    }
    struct afw_event_head *head = slot_event(slot);
    head->action = action;
    head->rule_index = rule_index;
    head->path = path;
    uint32_t expected = AFW_SLOT_SERVING;
    if (__atomic_compare_exchange_n(&slot->state, &expected, AFW_SLOT_ANSWERED, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED)) {
        afw_futex_wake_all(&slot->state);
    }
}

uint32_t afw_req_reclaim(struct afw_segment_header *segment) {
    uint32_t reclaimed = 0;
    for (uint32_t i = 0; i < AFW_REQ_SLOT_COUNT; i++) {
        struct afw_req_slot_header *slot = afw_layout_req_slot(segment, i);
        uint32_t state = __atomic_load_n(&slot->state, __ATOMIC_ACQUIRE);
        if (state != AFW_SLOT_CLAIMED && state != AFW_SLOT_READY && state != AFW_SLOT_ANSWERED) {
            continue;
        }
        int32_t owner = __atomic_load_n(&slot->owner_pid, __ATOMIC_RELAXED);
        /* A CLAIMED slot has no owner yet for a moment (the client writes it after the
         * claim); taking it then would pull the slot from under a live client. */
        if (owner <= 0 ? state == AFW_SLOT_CLAIMED : !pid_gone(owner)) {
            continue;
        }
        if (release_slot(segment, slot, state)) {
            reclaimed++;
        }
    }
    return reclaimed;
}
