/*
 * decide.c: the one decision every hook goes through. The table in the shared segment
 * decides (afw_table_decide, the same function the supervisor and replay use); this file
 * acts on the answer: records it for the audit, prints the block line, or waits for a
 * review on the request ring.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shim.h"

#define REVIEW_GONE_REASON "the firewall supervisor is gone; denied (fail closed)"

static uint64_t realtime_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
}

static struct afw_event_head event_head(const char *op, const struct afw_event_view *event,
                                        struct afw_decision decision, uint8_t path, uint64_t started_ns) {
    const struct afw_shim_state *state = afw_shim_state();
    struct afw_event_head head = {
        .surface = event->surface,
        .access = event->access,
        .family = event->family,
        .port = event->port,
        .action = decision.action,
        .path = path,
        .rule_index = decision.rule_index,
        .time_ns = realtime_ns(),
        .latency_ns = afw_monotonic_ns() - started_ns,
    };
    if (event->surface == AFW_SURFACE_EXEC) {
        /* An exec may come from a vfork child, which shares our memory (and the cached
         * ids) with its parent: ask the kernel. Exec is rare enough to afford it. */
        head.pid = (int32_t)getpid();
        head.ppid = (int32_t)getppid();
        head.tid = (int32_t)gettid();
    } else {
        head.pid = state->pid;
        head.ppid = state->ppid;
        head.tid = afw_thread_id();
    }
    head.flags = event->event_flags & AFW_EVENT_STATIC_BINARY;
    if (state->segment_flags & AFW_SEGMENT_MONITOR) {
        head.flags |= AFW_EVENT_MONITOR;
    }
    memcpy(head.address, event->address, sizeof head.address);
    strncpy(head.op, op, sizeof head.op - 1);
    return head;
}

/* Posts a decided event to the audit; never waits (a full ring loses the record and counts
 * the loss). */
static void record(const char *op, const struct afw_event_view *event, struct afw_decision decision,
                   uint64_t started_ns) {
    const struct afw_shim_state *state = afw_shim_state();
    if (!(state->segment_flags & AFW_SEGMENT_AUDIT)) {
        return;
    }
    if (decision.action == AFW_ACTION_ALLOW && (state->table_flags & AFW_TABLE_AUDIT_ALLOWED_COUNT)) {
        __atomic_add_fetch(&state->segment->allowed_counted, 1, __ATOMIC_RELAXED);
        return;
    }
    struct afw_event_head head = event_head(op, event, decision, AFW_PATH_FAST, started_ns);
    _Alignas(8) char buffer[AFW_EVT_EVENT_MAX];
    size_t size = afw_event_encode(buffer, sizeof buffer, &head, state->exe, event);
    if (size > 0) {
        afw_evt_push(state->segment, buffer, size);
    }
}

/* `denied_review` prefixes the reason, so that the agent's user can tell a review nobody
 * approved from a rule that blocks outright. */
static void say_blocked(const struct afw_event_view *event, int32_t rule_index, const char *reason,
                        bool denied_review) {
    const struct afw_shim_state *state = afw_shim_state();
    if (state->segment_flags & AFW_SEGMENT_QUIET) {
        return;
    }
    char default_reason[96];
    char review_reason[512];
    const char *rule_id = "default";
    const struct afw_table_rule *rule = afw_table_rule_at(state->table, state->table_size, rule_index);
    if (rule != NULL) {
        const char *id = afw_table_string(state->table, state->table_size, rule->id_str);
        rule_id = id != NULL ? id : "?";
        if (reason == NULL) {
            reason = afw_table_string(state->table, state->table_size, rule->reason_str);
        }
    } else if (reason == NULL) {
        const char *surface = afw_surface_name(event->surface);
        size_t length = 0;
        const struct afw_table_header *table = state->table;
        uint8_t surface_default = event->surface < AFW_SURFACE_COUNT ? table->defaults[event->surface] : AFW_ACTION_BLOCK;
        const char *parts[] = {"no rule matched; the ", surface, " default is ", afw_action_name(surface_default)};
        for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
            size_t part = strlen(parts[i]);
            memcpy(default_reason + length, parts[i], part);
            length += part;
        }
        default_reason[length] = '\0';
        reason = default_reason;
    }
    if (reason == NULL) {
        reason = "";
    }
    if (denied_review) {
        snprintf(review_reason, sizeof review_reason, "review denied: %s", reason);
        reason = review_reason;
    }
    afw_report_block(event, rule_id, reason);
}

/* The slow path: the supervisor decides (a human may be asked) and audits the event. */
static int review(const char *op, const struct afw_event_view *event, struct afw_decision decision,
                  uint64_t started_ns) {
    const struct afw_shim_state *state = afw_shim_state();
    struct afw_event_head head = event_head(op, event, decision, AFW_PATH_SLOW, started_ns);
    _Alignas(8) char buffer[AFW_REQ_EVENT_MAX];
    size_t size = afw_event_encode(buffer, sizeof buffer, &head, state->exe, event);
    struct afw_event_head answer;
    int status = size > 0 ? afw_req_call(state->segment, buffer, size, &answer) : AFW_E_INVALID;
    if (status != AFW_OK) {
        say_blocked(event, decision.rule_index, REVIEW_GONE_REASON, false);
        return -1;
    }
    if (answer.action == AFW_ACTION_ALLOW || answer.action == AFW_ACTION_LOG) {
        return 0;
    }
    say_blocked(event, answer.rule_index, NULL, true);
    return -1;
}

int afw_decide(const char *op, const struct afw_event_view *event, uint64_t started_ns) {
    const struct afw_shim_state *state = afw_shim_state();
    struct afw_decision decision = afw_table_decide(state->table, state->table_size, event);
    bool monitor = (state->segment_flags & AFW_SEGMENT_MONITOR) != 0;
    switch (decision.action) {
    case AFW_ACTION_ALLOW:
    case AFW_ACTION_LOG:
        record(op, event, decision, started_ns);
        return 0;
    case AFW_ACTION_REVIEW:
        if (!monitor) {
            return review(op, event, decision, started_ns);
        }
        /* Monitor mode never pauses the agent: the review is recorded as it stands. */
        record(op, event, decision, started_ns);
        return 0;
    default:
        record(op, event, decision, started_ns);
        if (monitor) {
            return 0;
        }
        say_blocked(event, decision.rule_index, NULL, false);
        return -1;
    }
}
