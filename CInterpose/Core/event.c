/* Event records: one normalised call as it travels through a ring (layout in
 * agentfirewall_abi.h). Encoding never fails for lack of room once a head fits: a decision
 * must be recorded even when its subject is huge, so strings are cut and the record says so.
 * Decoding treats the record as hostile: the agent can write to the rings. */
#include "afw_core.h"

#include <string.h>

#define HEAD_SIZE sizeof(struct afw_event_head)
#define KNOWN_EVENT_FLAGS (AFW_EVENT_TRUNCATED | AFW_EVENT_MONITOR | AFW_EVENT_STATIC_BINARY)
#define KNOWN_ACCESS (AFW_ACCESS_READ | AFW_ACCESS_WRITE | AFW_ACCESS_CREATE | AFW_ACCESS_EXEC)
/* Strings every record of a surface carries before argv: exe and the surface's subject. */
#define MAX_FIXED_STRINGS 3

static size_t align8(size_t value)
{
    return (value + 7) & ~(size_t)7;
}

/* The strings a surface always carries, NULL standing for "". Returns how many, 0 for an
 * unknown surface. */
static unsigned fixed_strings(uint8_t surface, const char *exe, const struct afw_event_view *event,
                              const char *strings[MAX_FIXED_STRINGS])
{
    strings[0] = exe;
    switch (surface) {
    case AFW_SURFACE_FILE:
        strings[1] = event->path;
        strings[2] = event->requested_path;
        return 3;
    case AFW_SURFACE_EXEC:
        strings[1] = event->program;
        return 2;
    case AFW_SURFACE_NETWORK:
        strings[1] = event->host;
        return 2;
    default:
        return 0;
    }
}

/* Copies at most available - 1 bytes of text and a NUL; returns the bytes written. */
static size_t put_string(char *area, size_t available, const char *text, bool *truncated)
{
    size_t length = text != NULL ? strlen(text) : 0;
    if (length + 1 > available) {
        length = available - 1;
        *truncated = true;
    }
    if (length > 0)
        memcpy(area, text, length);
    area[length] = '\0';
    return length + 1;
}

size_t afw_event_encode(void *buffer, size_t capacity, const struct afw_event_head *head, const char *exe,
                        const struct afw_event_view *event)
{
    if (buffer == NULL || head == NULL || event == NULL)
        return 0;
    /* total_size is a uint32_t and must stay 8-byte aligned. */
    if (capacity > UINT32_MAX)
        capacity = UINT32_MAX;
    capacity &= ~(size_t)7;
    const char *strings[MAX_FIXED_STRINGS];
    unsigned fixed_count = fixed_strings(head->surface, exe, event, strings);
    if (fixed_count == 0 || capacity < HEAD_SIZE + fixed_count)
        return 0;

    char *area = (char *)buffer + HEAD_SIZE;
    size_t room = capacity - HEAD_SIZE;
    size_t used = 0;
    bool truncated = false;
    for (unsigned i = 0; i < fixed_count; i++) {
        /* Leave one byte per later string, so each is still there, if empty. */
        size_t later = fixed_count - i - 1;
        used += put_string(area + used, room - used - later, strings[i], &truncated);
    }
    uint16_t argc = 0;
    if (head->surface == AFW_SURFACE_EXEC && event->argv != NULL) {
        uint32_t wanted = event->argc;
        if (wanted > UINT16_MAX) {
            wanted = UINT16_MAX;
            truncated = true;
        }
        for (; argc < wanted; argc++) {
            /* An argument cut to nothing would read as an empty argument: stop instead. */
            if (room - used < 2) {
                truncated = true;
                break;
            }
            bool cut = false;
            used += put_string(area + used, room - used, event->argv[argc], &cut);
            if (cut) {
                truncated = true;
                argc++;
                break;
            }
        }
    }

    size_t total = align8(HEAD_SIZE + used);
    memset(area + used, 0, total - HEAD_SIZE - used);
    struct afw_event_head out = *head;
    out.total_size = (uint32_t)total;
    out.strings_size = (uint32_t)used;
    out.argc = argc;
    if (truncated)
        out.flags |= AFW_EVENT_TRUNCATED;
    out.op[sizeof out.op - 1] = '\0';
    memcpy(buffer, &out, HEAD_SIZE);
    return total;
}

static bool head_consistent(const struct afw_event_head *head, size_t size)
{
    if (head->total_size < HEAD_SIZE || head->total_size > size || head->total_size % 8 != 0)
        return false;
    if (head->strings_size > head->total_size - HEAD_SIZE || align8(HEAD_SIZE + head->strings_size) != head->total_size)
        return false;
    if (memchr(head->op, '\0', sizeof head->op) == NULL)
        return false;
    if ((head->flags & ~KNOWN_EVENT_FLAGS) != 0 || (head->access & ~KNOWN_ACCESS) != 0)
        return false;
    switch (head->surface) {
    case AFW_SURFACE_FILE: return head->argc == 0;
    case AFW_SURFACE_EXEC: return true;
    case AFW_SURFACE_NETWORK: return head->argc == 0 && (head->family == 4 || head->family == 6);
    default: return false;
    }
}

int afw_event_decode(const void *record, size_t size, struct afw_event_head *head, const char **exe,
                     struct afw_event_view *view, const char **argv_storage, uint32_t argv_capacity)
{
    if (record == NULL || head == NULL || exe == NULL || view == NULL || size < HEAD_SIZE)
        return AFW_E_INVALID;
    struct afw_event_head copy;
    memcpy(&copy, record, HEAD_SIZE);
    if (!head_consistent(&copy, size))
        return AFW_E_INVALID;
    if (copy.argc > 0 && (argv_storage == NULL || copy.argc > argv_capacity))
        return AFW_E_TOO_LONG;

    uint32_t fixed_count = copy.surface == AFW_SURFACE_FILE ? 3 : 2;
    uint32_t expected = fixed_count + copy.argc;
    const char *fixed[MAX_FIXED_STRINGS] = {NULL, NULL, NULL};
    const char *pool = (const char *)record + HEAD_SIZE;
    size_t offset = 0;
    for (uint32_t i = 0; i < expected; i++) {
        if (offset >= copy.strings_size)
            return AFW_E_INVALID;
        const char *end = memchr(pool + offset, '\0', copy.strings_size - offset);
        if (end == NULL)
            return AFW_E_INVALID;
        if (i < fixed_count)
            fixed[i] = pool + offset;
        else
            argv_storage[i - fixed_count] = pool + offset;
        offset = (size_t)(end - pool) + 1;
    }
    /* Bytes after the last string would be a string nobody accounted for. */
    if (offset != copy.strings_size)
        return AFW_E_INVALID;

    memset(view, 0, sizeof *view);
    view->surface = copy.surface;
    view->access = copy.access;
    switch (copy.surface) {
    case AFW_SURFACE_FILE:
        view->path = fixed[1];
        view->requested_path = fixed[2][0] != '\0' ? fixed[2] : NULL;
        break;
    case AFW_SURFACE_EXEC:
        view->program = fixed[1];
        view->argv = copy.argc > 0 ? argv_storage : NULL;
        view->argc = copy.argc;
        break;
    default:
        view->family = copy.family;
        memcpy(view->address, copy.address, sizeof view->address);
        view->port = copy.port;
        view->host = fixed[1];
        break;
    }
    *head = copy;
    *exe = fixed[0];
    return AFW_OK;
}
