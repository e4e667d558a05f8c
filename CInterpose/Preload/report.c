/*
 * report.c: the line a blocked call prints on the agent's stderr (SPEC.md, "What the agent
 * sees"): `agentfirewall: blocked <surface> <subject> (rule <id>): <reason>`.
 * One write(2) of the whole line, so lines from concurrent threads do not interleave, and
 * no stdio (the agent's stderr FILE may be locked, redirected or closed).
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"

/* Long subjects are cut: the audit has them whole. */
#define LINE_MAX_BYTES 4096
#define CUT_MARK "..."

struct line {
    char text[LINE_MAX_BYTES];
    size_t length;
};

/* Appends as much of text as fits while `reserve` bytes stay free, marking a cut. */
static void append(struct line *line, const char *text, size_t reserve) {
    if (line->length + reserve >= sizeof line->text) {
        return;
    }
    size_t room = sizeof line->text - reserve - line->length;
    size_t length = strlen(text);
    bool cut = length > room;
    if (cut) {
        length = room > strlen(CUT_MARK) ? room - strlen(CUT_MARK) : 0;
    }
    memcpy(line->text + line->length, text, length);
    line->length += length;
    if (cut && room >= strlen(CUT_MARK)) {
        memcpy(line->text + line->length, CUT_MARK, strlen(CUT_MARK));
        line->length += strlen(CUT_MARK);
    }
}

static void append_port(struct line *line, uint16_t port, size_t reserve) {
    char digits[8];
    snprintf(digits, sizeof digits, ":%u", (unsigned)port);
    append(line, digits, reserve);
}

static void append_subject(struct line *line, const struct afw_event_view *event, size_t reserve) {
    switch (event->surface) {
    case AFW_SURFACE_FILE:
        append(line, event->path != NULL ? event->path : "", reserve);
        return;
    case AFW_SURFACE_EXEC:
        if (event->argc == 0 || event->argv == NULL) {
            append(line, event->program != NULL ? event->program : "", reserve);
            return;
        }
        for (uint32_t i = 0; i < event->argc; i++) {
            if (i > 0) {
                append(line, " ", reserve);
            }
            append(line, event->argv[i] != NULL ? event->argv[i] : "", reserve);
        }
        return;
    case AFW_SURFACE_NETWORK: {
        if (event->host != NULL && event->host[0] != '\0') {
            append(line, event->host, reserve);
        } else {
            char address[INET6_ADDRSTRLEN];
            int family = event->family == 6 ? AF_INET6 : AF_INET;
            if (inet_ntop(family, event->address, address, sizeof address) == NULL) {
                address[0] = '\0';
            }
            append(line, family == AF_INET6 ? "[" : "", reserve);
            append(line, address, reserve);
            append(line, family == AF_INET6 ? "]" : "", reserve);
        }
        append_port(line, event->port, reserve);
        return;
    }
    default:
        return;
    }
}

void afw_report_block(const struct afw_event_view *event, const char *rule_id, const char *reason) {
    struct line line = {.length = 0};
    /* The subject may be cut, the rule id and reason (short, from the policy) may not. */
    size_t tail = strlen(" (rule ") + strlen(rule_id) + strlen("): ") + strlen(reason) + 1;
    size_t reserve = tail < sizeof line.text / 2 ? tail : sizeof line.text / 2;
    append(&line, "agentfirewall: blocked ", reserve);
    append(&line, afw_surface_name(event->surface), reserve);
    append(&line, " ", reserve);
    append_subject(&line, event, reserve);
    append(&line, " (rule ", 1);
    append(&line, rule_id, 1);
    append(&line, "): ", 1);
    append(&line, reason, 1);
    line.text[line.length++] = '\n';
    ssize_t written = write(STDERR_FILENO, line.text, line.length);
    (void)written;
}

void afw_report_static_binary(const char *program) {
    struct line line = {.length = 0};
    const char *tail = " is a static binary: the firewall does not see its own file, exec and network calls "
                       "(README: Limits)";
    size_t reserve = strlen(tail) + 2;
    append(&line, "agentfirewall: warning: ", reserve);
    append(&line, program, reserve);
    append(&line, tail, 1);
    line.text[line.length++] = '\n';
    ssize_t written = write(STDERR_FILENO, line.text, line.length);
    (void)written;
}
