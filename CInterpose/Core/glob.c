/* Globs for policy rules.
 *
 * Matching simulates the pattern as a nondeterministic automaton: the set of pattern offsets
 * that the subject read so far can have reached is kept in a fixed bitset on the stack, and
 * each subject byte advances every live offset at once. There is no backtracking, so a
 * hostile subject ("*a*a*a*a*b" against 4000 'a's) costs at most pattern x subject steps and
 * never recurses: a hook cannot be stalled by the path or command line it is asked about.
 */
#include "afw_core.h"

#include <stdint.h>
#include <string.h>

/* The bitset holds one bit per pattern byte (plus the accepting end), so patterns are capped;
 * policy globs are far shorter. */
#define GLOB_MAX_PATTERN 1024
#define GLOB_MAX_DOUBLE_STARS 8
#define STATE_WORDS ((GLOB_MAX_PATTERN + 1 + 63) / 64)

enum token_kind {
    TOKEN_LITERAL,
    TOKEN_ANY,         /* '?' */
    TOKEN_CLASS,       /* '[...]' */
    TOKEN_STAR,        /* '*' (and '**' outside PATH mode) */
    TOKEN_DOUBLE_STAR, /* PATH '**': any characters, '/' included */
    TOKEN_DIRECTORIES, /* PATH '**' + '/' at a segment start: zero or more whole directories */
};

struct token {
    enum token_kind kind;
    unsigned char literal;
    bool class_negated;
    size_t class_start; /* offset of the first class member */
    size_t next;        /* offset of the following token */
};

static unsigned char fold_case(unsigned char c)
{
    return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

static const char *parse_class(const char *pattern, size_t offset, struct token *token)
{
    size_t i = offset + 1;
    token->kind = TOKEN_CLASS;
    token->class_negated = pattern[i] == '!' || pattern[i] == '^';
    if (token->class_negated)
        i++;
    token->class_start = i;
    /* POSIX: a ']' right after the opening bracket is a member, not the end. */
    if (pattern[i] == ']')
        i++;
    while (pattern[i] != ']') {
        if (pattern[i] == '\0')
            return "unterminated [ class";
        if (pattern[i] == '\\') {
            if (pattern[i + 1] == '\0')
                return "unterminated [ class";
            i++;
        }
        i++;
    }
    token->next = i + 1;
    return NULL;
}

/* Reads the token at `offset`; returns NULL or why the pattern is malformed. */
static const char *parse_token(const char *pattern, size_t offset, int mode, struct token *token)
{
    unsigned char c = (unsigned char)pattern[offset];
    token->kind = TOKEN_LITERAL;
    token->literal = c;
    token->next = offset + 1;
    switch (c) {
    case '\\':
        if (pattern[offset + 1] == '\0')
            return "trailing '\\' escapes nothing";
        token->literal = (unsigned char)pattern[offset + 1];
        token->next = offset + 2;
        return NULL;
    case '?':
        token->kind = TOKEN_ANY;
        return NULL;
    case '[':
        return parse_class(pattern, offset, token);
    case '*':
        break;
    default:
        return NULL;
    }
    token->kind = TOKEN_STAR;
    if (pattern[offset + 1] != '*')
        return NULL;
    if (pattern[offset + 2] == '*')
        return "'***' is ambiguous: write '*' or '**'";
    token->next = offset + 2;
    if (mode != AFW_GLOB_PATH)
        return NULL;
    token->kind = TOKEN_DOUBLE_STAR;
    if (pattern[offset + 2] == '/' && (offset == 0 || pattern[offset - 1] == '/')) {
        token->kind = TOKEN_DIRECTORIES;
        token->next = offset + 3;
    }
    return NULL;
}

/* Bytes that may start or end something other than a plain literal token: any other byte
 * is a literal matching only itself. ']' outside a class is a literal too, but treating it
 * as special only makes the literal-ends check weaker, never wrong, and sends it through
 * parse_token in validation. */
static bool may_be_special(char c)
{
    return c == '*' || c == '?' || c == '[' || c == ']' || c == '\\';
}

/* Walks the whole pattern once; the matcher relies on a pattern that passed this. */
static const char *check_pattern(const char *pattern, int mode, size_t *error_offset)
{
    *error_offset = 0;
    if (mode != AFW_GLOB_PATH && mode != AFW_GLOB_TEXT && mode != AFW_GLOB_HOST)
        return "unknown glob mode";
    if (pattern == NULL || pattern[0] == '\0')
        return "empty pattern";
    size_t length = strnlen(pattern, GLOB_MAX_PATTERN + 1);
    if (length > GLOB_MAX_PATTERN) {
        *error_offset = GLOB_MAX_PATTERN;
        return "pattern longer than 1024 bytes";
    }
    unsigned double_stars = 0;
    for (size_t offset = 0; offset < length;) {
        /* A plain byte is a literal token that cannot be malformed: every process that
         * loads the shim validates every glob of the table, so this loop is on the path of
         * each exec. */
        if (!may_be_special(pattern[offset])) {
            offset++;
            continue;
        }
        struct token token;
        const char *error = parse_token(pattern, offset, mode, &token);
        if (error != NULL) {
            *error_offset = offset;
            return error;
        }
        if (pattern[offset] == '*' && pattern[offset + 1] == '*' && ++double_stars > GLOB_MAX_DOUBLE_STARS) {
            *error_offset = offset;
            return "more than 8 '**' in one pattern: split it into several patterns";
        }
        offset = token.next;
    }
    return NULL;
}

int afw_glob_validate(const char *pattern, int mode, const char **error, size_t *error_offset)
{
    size_t offset;
    const char *message = check_pattern(pattern, mode, &offset);
    if (message == NULL)
        return AFW_OK;
    if (error != NULL)
        *error = message;
    if (error_offset != NULL)
        *error_offset = offset;
    return AFW_E_INVALID;
}

static bool in_range(unsigned char c, unsigned char low, unsigned char high, bool fold)
{
    if (c >= low && c <= high)
        return true;
    if (!fold)
        return false;
    unsigned char lower = fold_case(c);
    unsigned char upper = c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
    return (lower >= low && lower <= high) || (upper >= low && upper <= high);
}

/* Both stop at the pattern's NUL even in a class that never closes: afw_glob_match_checked
 * trusts a table's validation, and a table in shared memory can be rewritten after it. */
static unsigned char class_member(const char *pattern, size_t *i)
{
    if (pattern[*i] == '\\' && pattern[*i + 1] != '\0')
        (*i)++;
    return pattern[*i] == '\0' ? 0 : (unsigned char)pattern[(*i)++];
}

static bool class_matches(const char *pattern, const struct token *token, unsigned char c, bool fold)
{
    bool member = false;
    size_t i = token->class_start;
    bool first = true;
    while (pattern[i] != '\0' && (first || pattern[i] != ']')) {
        first = false;
        unsigned char low = class_member(pattern, &i);
        unsigned char high = low;
        if (pattern[i] == '-' && pattern[i + 1] != ']') {
            i++;
            high = class_member(pattern, &i);
        }
        if (in_range(c, low, high, fold))
            member = true;
    }
    return member != token->class_negated;
}

/* Whether a single-character token (literal, '?', class) accepts c. */
static bool token_accepts(const char *pattern, const struct token *token, unsigned char c, int mode)
{
    bool fold = mode == AFW_GLOB_HOST;
    switch (token->kind) {
    case TOKEN_LITERAL:
        return fold ? fold_case(token->literal) == fold_case(c) : token->literal == c;
    case TOKEN_ANY:
        return mode != AFW_GLOB_PATH || c != '/';
    case TOKEN_CLASS:
        /* In a path, only a literal '/' crosses a directory boundary. */
        return (mode != AFW_GLOB_PATH || c != '/') && class_matches(pattern, token, c, fold);
    default:
        return false;
    }
}

/* The automaton's live states. `at` holds pattern offsets about to be matched. `inside` holds
 * "**" + "/" tokens that have consumed part of a directory name: unlike the token itself,
 * they may not skip ahead without a '/' (else "**" + "/.env" would match "x.env"). */
struct states {
    uint64_t at[STATE_WORDS];
    uint64_t inside[STATE_WORDS];
};

static void state_set(uint64_t *set, size_t offset)
{
    set[offset / 64] |= 1ull << (offset % 64);
}

/* The lowest offset in `set` at or after `from`, or SIZE_MAX when there is none. It reads
 * the set afresh on every call, so a pass may add offsets ahead of itself and still visit them. */
static size_t next_state(const uint64_t *set, size_t words, size_t from)
{
    for (size_t word = from / 64; word < words; word++) {
        uint64_t bits = set[word];
        if (word == from / 64)
            bits &= ~0ull << (from % 64);
        if (bits != 0)
            return word * 64 + (size_t)__builtin_ctzll(bits);
    }
    return SIZE_MAX;
}

#define FOR_EACH_STATE(offset, set, words) \
    for (size_t offset = next_state((set), (words), 0); offset != SIZE_MAX; offset = next_state((set), (words), offset + 1))

static bool is_star(enum token_kind kind)
{
    return kind == TOKEN_STAR || kind == TOKEN_DOUBLE_STAR || kind == TOKEN_DIRECTORIES;
}

/* Adds the offsets reachable without reading a byte: every kind of star may match nothing.
 * Those edges only point forward, so one ascending pass reaches the closure. */
static void follow_empty_matches(struct states *states, size_t words, const char *pattern, size_t length, int mode)
{
    FOR_EACH_STATE(offset, states->at, words) {
        struct token token;
        if (offset < length && parse_token(pattern, offset, mode, &token) == NULL && is_star(token.kind))
            state_set(states->at, token.next);
    }
}

static void advance(const struct states *states, struct states *next, size_t words, const char *pattern,
                    size_t length, int mode, unsigned char c)
{
    struct token token;
    FOR_EACH_STATE(offset, states->at, words) {
        if (offset >= length || parse_token(pattern, offset, mode, &token) != NULL)
            continue;
        switch (token.kind) {
        case TOKEN_STAR:
            if (mode != AFW_GLOB_PATH || c != '/')
                state_set(next->at, offset);
            break;
        case TOKEN_DOUBLE_STAR:
            state_set(next->at, offset);
            break;
        case TOKEN_DIRECTORIES:
            state_set(next->inside, offset);
            if (c == '/')
                state_set(next->at, token.next);
            break;
        default:
            if (token_accepts(pattern, &token, c, mode))
                state_set(next->at, token.next);
            break;
        }
    }
    FOR_EACH_STATE(offset, states->inside, words) {
        /* Still inside the directories, or this '/' ends one of them. */
        state_set(next->inside, offset);
        if (c == '/' && parse_token(pattern, offset, mode, &token) == NULL)
            state_set(next->at, token.next);
    }
}

static bool same_bytes(const char *a, const char *b, size_t length, bool fold)
{
    for (size_t i = 0; i < length; i++)
        if (fold ? fold_case((unsigned char)a[i]) != fold_case((unsigned char)b[i]) : a[i] != b[i])
            return false;
    return true;
}

/* Checks one run of plain literal bytes, pattern[start..start+length), against the subject
 * from `*found` on. A run at either end of the pattern is anchored there. */
static bool literal_run_occurs(const char *pattern, size_t pattern_length, size_t start, size_t length,
                               const char *subject, size_t subject_length, size_t *found, bool fold)
{
    bool at_start = start == 0;
    bool at_end = start + length == pattern_length;
    if (length > subject_length - *found)
        return false;
    if (at_start && at_end)
        return length == subject_length && same_bytes(pattern, subject, length, fold);
    if (at_start) {
        *found = length;
        return same_bytes(pattern, subject, length, fold);
    }
    if (at_end)
        return same_bytes(pattern + start, subject + subject_length - length, length, fold);
    if (fold)
        return true; /* HOST globs are short: no case-folding search */
    const char *at = memmem(subject + *found, subject_length - *found, pattern + start, length);
    if (at == NULL)
        return false;
    *found = (size_t)(at - subject) + length;
    return true;
}

/* A cheap necessary condition before the automaton runs: every run of plain literal bytes
 * must occur in the subject, in order, without overlapping, and the first and last runs at
 * the subject's ends when they are at the pattern's. Most rules fail it at once ("**" +
 * "/.env.*" against ".../index.tsx"), which keeps the hook from running the automaton over
 * every path for every rule. Escaped bytes and the '/' of "**" + "/" (which may match
 * nothing) end a run instead of joining it. */
static bool literal_runs_occur(const char *pattern, size_t length, const char *subject, size_t subject_length,
                               int mode)
{
    size_t found = 0;
    size_t run_start = 0;
    size_t run_length = 0;
    for (size_t offset = 0;;) {
        struct token token;
        bool plain = offset < length && parse_token(pattern, offset, mode, &token) == NULL &&
                     token.kind == TOKEN_LITERAL && pattern[offset] != '\\';
        if (plain) {
            if (run_length == 0)
                run_start = offset;
            run_length++;
            offset = token.next;
            continue;
        }
        if (run_length > 0 && !literal_run_occurs(pattern, length, run_start, run_length, subject, subject_length,
                                                  &found, mode == AFW_GLOB_HOST))
            return false;
        run_length = 0;
        if (offset >= length)
            return true;
        offset = token.next;
    }
}

static bool same_byte(char a, char b, bool fold)
{
    return fold ? fold_case((unsigned char)a) == fold_case((unsigned char)b) : a == b;
}

/* The first check of every match, before the pattern is even parsed: the bytes before the
 * first special byte must start the subject and those after the last must end it. A hook
 * asks about ~100 path globs per open and nearly all of them fail here, most at the first
 * byte compared ("/root/.ssh/id_*" against "/work/...", the "*.key" of a "**" pattern
 * against ".../f1.txt"), which is what keeps an open cheap. It only ever answers "cannot
 * match": a malformed pattern may pass it, and what follows decides. */
static bool literal_ends_fit(const char *pattern, size_t length, const char *subject, size_t subject_length,
                             bool fold)
{
    size_t head = 0;
    for (; head < length && !may_be_special(pattern[head]); head++)
        if (head >= subject_length || !same_byte(pattern[head], subject[head], fold))
            return false;
    if (head == length)
        return head == subject_length;
    /* pattern[head] is special, so this walk stops after it; the head and the tail cover
     * different subject bytes, as a star or class lies between them. */
    for (size_t tail = 1; !may_be_special(pattern[length - tail]); tail++) {
        size_t at = length - tail;
        /* The '/' of "**" + "/" may match nothing ("**" + "/.env" matches ".env"); after a
         * single '*' it is required, but not requiring it only weakens the check. */
        if (pattern[at] == '/' && pattern[at - 1] == '*')
            break;
        if (tail > subject_length - head || !same_byte(pattern[at], subject[subject_length - tail], fold))
            return false;
    }
    return true;
}

bool afw_glob_match(const char *pattern, const char *subject, int mode)
{
    if (pattern == NULL || subject == NULL)
        return false;
    size_t ignored;
    /* A malformed pattern matches nothing. */
    if (check_pattern(pattern, mode, &ignored) != NULL)
        return false;
    return afw_glob_match_checked(pattern, strlen(pattern), subject, strlen(subject), mode);
}

bool afw_glob_match_checked(const char *pattern, size_t length, const char *subject, size_t subject_length, int mode)
{
    if (!literal_ends_fit(pattern, length, subject, subject_length, mode == AFW_GLOB_HOST))
        return false;
    if (!literal_runs_occur(pattern, length, subject, subject_length, mode))
        return false;
    size_t words = length / 64 + 1;
    size_t used_bytes = words * sizeof(uint64_t);
    struct states current;
    struct states next;
    memset(current.at, 0, used_bytes);
    memset(current.inside, 0, used_bytes);
    state_set(current.at, 0);
    follow_empty_matches(&current, words, pattern, length, mode);
    for (const char *cursor = subject; *cursor != '\0'; cursor++) {
        memset(next.at, 0, used_bytes);
        memset(next.inside, 0, used_bytes);
        advance(&current, &next, words, pattern, length, mode, (unsigned char)*cursor);
        bool alive = false;
        for (size_t word = 0; word < words; word++)
            alive |= (next.at[word] | next.inside[word]) != 0;
        if (!alive)
            return false;
        follow_empty_matches(&next, words, pattern, length, mode);
        memcpy(current.at, next.at, used_bytes);
        memcpy(current.inside, next.inside, used_bytes);
    }
    return (current.at[length / 64] >> (length % 64)) & 1u;
}
