/* The compiled policy table: validation and the one decision procedure. The shim, the slow
 * path, the backstop and replay all call afw_table_decide on the same bytes, so they cannot
 * disagree about a decision. */
#include "afw_core.h"

#include <string.h>

/* Scratch for exec unwrapping: words of `sh -c` scripts and joined command lines. */
#define EXEC_SCRATCH_SIZE 8192

struct table_layout {
    const struct afw_table_header *header;
    const struct afw_table_rule *rules;
    const struct afw_table_matcher *matchers;
    const char *strings;
    uint32_t strings_size;
};

/* Where one section ends, or 0 when it starts before `minimum` or ends beyond `total`.
 * 64-bit arithmetic: a 32-bit count times an element size cannot wrap. */
static uint64_t section_end(uint64_t offset, uint64_t count, uint64_t element_size, uint64_t minimum, uint64_t total)
{
    if (offset < minimum || offset % 4 != 0)
        return 0;
    uint64_t end = offset + count * element_size;
    return end <= total ? end : 0;
}

/* The O(1) checks that make every later access bounded: sections in order inside the table,
 * a pool whose last byte is NUL (so any offset inside it names a terminated string). */
static bool table_layout(const void *table, size_t size, struct table_layout *layout)
{
    if (table == NULL || size < sizeof(struct afw_table_header) ||
        (uintptr_t)table % _Alignof(struct afw_table_header) != 0)
        return false;
    const struct afw_table_header *header = table;
    if (header->magic != AFW_TABLE_MAGIC || header->version != AFW_TABLE_VERSION)
        return false;
    uint64_t total = header->total_size;
    if (total > size)
        return false;
    uint64_t rules_end = section_end(header->rules_offset, header->rule_count, sizeof(struct afw_table_rule),
                                     sizeof(struct afw_table_header), total);
    if (rules_end == 0)
        return false;
    uint64_t matchers_end = section_end(header->matchers_offset, header->matcher_count,
                                        sizeof(struct afw_table_matcher), rules_end, total);
    if (matchers_end == 0)
        return false;
    uint64_t strings_offset = header->strings_offset;
    if (strings_offset < matchers_end || header->strings_size == 0 ||
        strings_offset + header->strings_size > total)
        return false;
    const char *base = table;
    if (base[strings_offset + header->strings_size - 1] != '\0')
        return false;
    layout->header = header;
    layout->rules = (const struct afw_table_rule *)(base + header->rules_offset);
    layout->matchers = (const struct afw_table_matcher *)(base + header->matchers_offset);
    layout->strings = base + strings_offset;
    layout->strings_size = header->strings_size;
    return true;
}

static const char *pool_string(const struct table_layout *layout, uint32_t offset)
{
    return offset < layout->strings_size ? layout->strings + offset : NULL;
}

static bool key_belongs_to(uint8_t key, uint8_t surface)
{
    switch (key) {
    case AFW_MATCH_PATH: return surface == AFW_SURFACE_FILE;
    case AFW_MATCH_COMMAND:
    case AFW_MATCH_PROGRAM: return surface == AFW_SURFACE_EXEC;
    case AFW_MATCH_HOST:
    case AFW_MATCH_PORT:
    case AFW_MATCH_ADDRESS: return surface == AFW_SURFACE_NETWORK;
    default: return false;
    }
}

static int glob_mode_of(uint8_t key)
{
    switch (key) {
    case AFW_MATCH_PATH: return AFW_GLOB_PATH;
    case AFW_MATCH_HOST: return AFW_GLOB_HOST;
    default: return AFW_GLOB_TEXT;
    }
}

static bool matcher_valid(const struct table_layout *layout, const struct afw_table_matcher *matcher, uint8_t surface)
{
    if (!key_belongs_to(matcher->key, surface))
        return false;
    switch (matcher->key) {
    case AFW_MATCH_PORT:
        return matcher->port_low <= matcher->port_high;
    case AFW_MATCH_ADDRESS:
        return (matcher->family == 4 && matcher->prefix_length <= 32) ||
               (matcher->family == 6 && matcher->prefix_length <= 128);
    default: {
        const char *glob = pool_string(layout, matcher->glob_str);
        return glob != NULL && afw_glob_validate(glob, glob_mode_of(matcher->key), NULL, NULL) == AFW_OK;
    }
    }
}

static bool rule_valid(const struct table_layout *layout, const struct afw_table_rule *rule)
{
    if (rule->surface < AFW_SURFACE_FILE || rule->surface > AFW_SURFACE_NETWORK)
        return false;
    if (rule->action > AFW_ACTION_LOG)
        return false;
    if (rule->access_mask & ~(AFW_ACCESS_READ | AFW_ACCESS_WRITE | AFW_ACCESS_CREATE | AFW_ACCESS_EXEC))
        return false;
    if (pool_string(layout, rule->id_str) == NULL || pool_string(layout, rule->reason_str) == NULL)
        return false;
    if ((uint64_t)rule->first_matcher + rule->matcher_count > layout->header->matcher_count)
        return false;
    for (uint32_t i = 0; i < rule->matcher_count; i++)
        if (!matcher_valid(layout, &layout->matchers[rule->first_matcher + i], rule->surface))
            return false;
    return true;
}

int afw_table_validate(const void *table, size_t size)
{
    struct table_layout layout;
    if (!table_layout(table, size, &layout))
        return AFW_E_INVALID;
    const struct afw_table_header *header = layout.header;
    if (header->flags & ~(uint32_t)AFW_TABLE_AUDIT_ALLOWED_COUNT)
        return AFW_E_INVALID;
    for (unsigned surface = AFW_SURFACE_FILE; surface < AFW_SURFACE_COUNT; surface++)
        if (header->defaults[surface] > AFW_ACTION_LOG)
            return AFW_E_INVALID;
    if (pool_string(&layout, header->name_str) == NULL)
        return AFW_E_INVALID;
    for (uint32_t i = 0; i < header->rule_count; i++)
        if (!rule_valid(&layout, &layout.rules[i]))
            return AFW_E_INVALID;
    return AFW_OK;
}

const char *afw_table_string(const void *table, size_t size, uint32_t offset)
{
    struct table_layout layout;
    return table_layout(table, size, &layout) ? pool_string(&layout, offset) : NULL;
}

const struct afw_table_rule *afw_table_rule_at(const void *table, size_t size, int32_t index)
{
    struct table_layout layout;
    if (!table_layout(table, size, &layout) || index < 0 || (uint32_t)index >= layout.header->rule_count)
        return NULL;
    return &layout.rules[index];
}

/* ---------------------------------------------------------------------------------------
 * Deciding
 * ------------------------------------------------------------------------------------- */

/* What one event is matched against. */
struct subjects {
    const struct afw_event_view *event;
    const char *path;           /* FILE rules: the resolved path, or the program for exec */
    const char *requested_path; /* FILE rules: the path as asked for, when it differs */
    size_t path_length;         /* strlen of the two paths, measured once per event */
    size_t requested_length;
    const struct afw_exec_subjects *exec;
    /* PROGRAM globs see only the exec's real program (programs[0]): argv[0] and the words
     * after a wrapper are the caller's to choose (`exec -a git /tmp/evil`), so they may
     * restrict a call but never allow it. */
    bool real_program_only;
    /* The view that allow and log rules get: no requested path, only the real program. */
    const struct subjects *permissive;
};

enum rule_outcome { RULE_MISSES, RULE_MATCHES, RULE_BROKEN };

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* The table's globs passed afw_glob_validate with the table (afw_glob_match_checked). */
static bool text_matches(const char *glob, const char *text, int mode)
{
    return afw_glob_match_checked(glob, strlen(glob), text, strlen(text), mode);
}

static bool program_matches(const char *glob, const struct afw_exec_subjects *exec, bool real_program_only)
{
    bool full_path = strchr(glob, '/') != NULL;
    uint32_t count = real_program_only && exec->program_count > 0 ? 1 : exec->program_count;
    for (uint32_t i = 0; i < count; i++) {
        const char *program = full_path ? exec->programs[i] : basename_of(exec->programs[i]);
        if (text_matches(glob, program, AFW_GLOB_TEXT))
            return true;
    }
    return false;
}

static bool command_matches(const char *glob, const struct afw_exec_subjects *exec)
{
    for (uint32_t i = 0; i < exec->command_count; i++)
        if (text_matches(glob, exec->commands[i], AFW_GLOB_TEXT))
            return true;
    return false;
}

static bool matcher_matches(const struct afw_table_matcher *matcher, const char *glob, const struct subjects *subjects)
{
    const struct afw_event_view *event = subjects->event;
    switch (matcher->key) {
    case AFW_MATCH_PATH: {
        /* Most path globs start with a literal directory ("/home/dev/.ssh/id_*"): a subject
         * that leaves that prefix is out before the glob is even measured. */
        size_t prefix = 0;
        while (glob[prefix] != '\0' && glob[prefix] != '*' && glob[prefix] != '?' && glob[prefix] != '[' &&
               glob[prefix] != '\\' && glob[prefix] == subjects->path[prefix])
            prefix++;
        bool literal_ends = glob[prefix] == '\0' || glob[prefix] == '*' || glob[prefix] == '?' ||
                            glob[prefix] == '[' || glob[prefix] == '\\';
        if (!literal_ends && subjects->requested_path == NULL)
            return false;
        size_t length = prefix + strlen(glob + prefix);
        return afw_glob_match_checked(glob, length, subjects->path, subjects->path_length, AFW_GLOB_PATH) ||
               (subjects->requested_path != NULL &&
                afw_glob_match_checked(glob, length, subjects->requested_path, subjects->requested_length, AFW_GLOB_PATH));
    }
    case AFW_MATCH_COMMAND:
        return subjects->exec != NULL && command_matches(glob, subjects->exec);
    case AFW_MATCH_PROGRAM:
        return subjects->exec != NULL && program_matches(glob, subjects->exec, subjects->real_program_only);
    case AFW_MATCH_HOST:
        /* An address the process never resolved has no name: a host rule cannot speak for it. */
        return event->host != NULL && event->host[0] != '\0' && text_matches(glob, event->host, AFW_GLOB_HOST);
    case AFW_MATCH_PORT:
        return event->port >= matcher->port_low && event->port <= matcher->port_high;
    case AFW_MATCH_ADDRESS:
        return afw_cidr_contains(matcher->family, matcher->address, matcher->prefix_length, event->family,
                                 event->address);
    default:
        return false;
    }
}

/* Same key OR-ed, different keys AND-ed: a rule matches when every key it names has a
 * matching entry. A rule without matchers matches every event of its surface. */
static enum rule_outcome rule_matches(const struct table_layout *layout, const struct afw_table_rule *rule,
                                      const struct subjects *subjects)
{
    if ((uint64_t)rule->first_matcher + rule->matcher_count > layout->header->matcher_count)
        return RULE_BROKEN;
    /* The path as asked for may name a symlink: `ln -s .env .env.example` would slip past an
     * allow rule for templates if allow rules looked at the link's name. So only rules that
     * restrict (block, review) see the requested path; every rule sees the resolved one.
     * The two views are built once per event (first_matching_rule), not per rule. */
    if (rule->action == AFW_ACTION_ALLOW || rule->action == AFW_ACTION_LOG)
        subjects = subjects->permissive;
    uint32_t keys_named = 0;
    uint32_t keys_matched = 0;
    for (uint32_t i = 0; i < rule->matcher_count; i++) {
        const struct afw_table_matcher *matcher = &layout->matchers[rule->first_matcher + i];
        if (matcher->key < AFW_MATCH_PATH || matcher->key > AFW_MATCH_ADDRESS)
            return RULE_BROKEN;
        uint32_t key_bit = 1u << matcher->key;
        keys_named |= key_bit;
        if (keys_matched & key_bit)
            continue;
        bool has_glob = matcher->key != AFW_MATCH_PORT && matcher->key != AFW_MATCH_ADDRESS;
        const char *glob = has_glob ? pool_string(layout, matcher->glob_str) : NULL;
        if (has_glob && glob == NULL)
            return RULE_BROKEN;
        if (matcher_matches(matcher, glob, subjects))
            keys_matched |= key_bit;
    }
    return keys_named == keys_matched ? RULE_MATCHES : RULE_MISSES;
}

/* The index of the first rule of `surface` that matches, -1 when none does, -2 when the
 * table turns out to be broken. `exec_file_rules` selects FILE rules that name EXEC access,
 * checked against the program of an exec. */
static int64_t first_matching_rule(const struct table_layout *layout, uint8_t surface, bool exec_file_rules,
                                   const struct subjects *restrictive)
{
    struct subjects permissive = *restrictive;
    permissive.requested_path = NULL;
    permissive.real_program_only = restrictive->event->program != NULL && restrictive->event->program[0] != '\0';
    permissive.permissive = &permissive;
    struct subjects view = *restrictive;
    view.permissive = &permissive;
    const struct subjects *subjects = &view;
    for (uint32_t i = 0; i < layout->header->rule_count; i++) {
        const struct afw_table_rule *rule = &layout->rules[i];
        if (rule->surface != surface)
            continue;
        if (exec_file_rules) {
            if (!(rule->access_mask & AFW_ACCESS_EXEC))
                continue;
        } else if (rule->access_mask != 0 && !(rule->access_mask & subjects->event->access)) {
            continue;
        }
        switch (rule_matches(layout, rule, subjects)) {
        case RULE_MATCHES: return i;
        case RULE_BROKEN: return -2;
        case RULE_MISSES: break;
        }
    }
    return -1;
}

static struct afw_decision decision_for(const struct table_layout *layout, int64_t rule_index, uint8_t surface)
{
    struct afw_decision blocked = {AFW_ACTION_BLOCK, AFW_RULE_DEFAULT};
    if (rule_index == -2)
        return blocked;
    uint8_t action = rule_index >= 0 ? layout->rules[rule_index].action : layout->header->defaults[surface];
    if (action > AFW_ACTION_LOG)
        return blocked;
    struct afw_decision decision = {action, rule_index >= 0 ? (int32_t)rule_index : AFW_RULE_DEFAULT};
    return decision;
}

static struct afw_decision decide_exec(const struct table_layout *layout, const struct afw_event_view *event)
{
    const char *program = event->program != NULL ? event->program : "";
    struct subjects subjects = {event, program, NULL, strlen(program), 0, NULL, false, NULL};
    /* The program is a file too: a FILE rule on exec access (say, nothing under /tmp may
     * run) applies before exec rules. A file default says nothing about exec, so only a
     * matching rule decides here. */
    int64_t file_rule = first_matching_rule(layout, AFW_SURFACE_FILE, true, &subjects);
    if (file_rule != -1)
        return decision_for(layout, file_rule, AFW_SURFACE_FILE);

    char scratch[EXEC_SCRATCH_SIZE];
    struct afw_exec_subjects exec;
    if (afw_exec_subjects(event->program, event->argv, event->argc, &exec, scratch, sizeof scratch) != AFW_OK)
        return decision_for(layout, -2, AFW_SURFACE_EXEC);
    subjects.exec = &exec;
    return decision_for(layout, first_matching_rule(layout, AFW_SURFACE_EXEC, false, &subjects), AFW_SURFACE_EXEC);
}

struct afw_decision afw_table_decide(const void *table, size_t size, const struct afw_event_view *event)
{
    struct afw_decision blocked = {AFW_ACTION_BLOCK, AFW_RULE_DEFAULT};
    struct table_layout layout;
    if (event == NULL || !table_layout(table, size, &layout))
        return blocked;
    switch (event->surface) {
    case AFW_SURFACE_FILE: {
        const char *path = event->path != NULL ? event->path : "";
        const char *requested = event->requested_path;
        if (requested != NULL && strcmp(requested, path) == 0)
            requested = NULL;
        struct subjects subjects = {event, path, requested, strlen(path), requested != NULL ? strlen(requested) : 0, NULL, false, NULL};
        return decision_for(&layout, first_matching_rule(&layout, AFW_SURFACE_FILE, false, &subjects),
                            AFW_SURFACE_FILE);
    }
    case AFW_SURFACE_EXEC:
        return decide_exec(&layout, event);
    case AFW_SURFACE_NETWORK: {
        struct subjects subjects = {event, NULL, NULL, 0, 0, NULL, false, NULL};
        return decision_for(&layout, first_matching_rule(&layout, AFW_SURFACE_NETWORK, false, &subjects),
                            AFW_SURFACE_NETWORK);
    }
    default:
        return blocked;
    }
}
