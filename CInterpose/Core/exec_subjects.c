/* Exec subjects: what exec rules see after wrappers and shells are looked through.
 *
 * An agent told "don't run nc" will happily run `env -i nohup timeout 5 nc -l 1` or
 * `sh -c 'nc -l 1'`; a rule on the program must still match. So the argv is unwrapped:
 * option-parsing wrappers are skipped the way they parse their own options, and the script
 * of `sh -c` is split into simple commands, each unwrapped in turn. Everything is bounded by
 * the caller's scratch and the fixed subject arrays; what does not fit sets `truncated`, and
 * the raw script is always kept as a command so that a script we cannot take apart is
 * still matched as a whole.
 */
#include "afw_core.h"

#include <string.h>

/* How deeply shells, $( ) and ` ` may nest before we stop looking inside. */
#define MAX_NESTING 6
/* Words kept per simple command of a script; later words are dropped (truncated). */
#define MAX_SCRIPT_WORDS 64

struct collector {
    struct afw_exec_subjects *out;
    char *scratch;
    size_t used;
    size_t capacity;
};

static void add_subject(const char **list, uint32_t *count, uint32_t capacity, bool *truncated, const char *subject)
{
    if (subject == NULL || subject[0] == '\0')
        return;
    for (uint32_t i = 0; i < *count; i++)
        if (strcmp(list[i], subject) == 0)
            return;
    if (*count >= capacity) {
        *truncated = true;
        return;
    }
    list[(*count)++] = subject;
}

static void add_program(struct collector *collector, const char *program)
{
    struct afw_exec_subjects *out = collector->out;
    add_subject(out->programs, &out->program_count, AFW_EXEC_MAX_PROGRAMS, &out->truncated, program);
}

static void add_command(struct collector *collector, const char *command)
{
    struct afw_exec_subjects *out = collector->out;
    add_subject(out->commands, &out->command_count, AFW_EXEC_MAX_COMMANDS, &out->truncated, command);
}

static const char *basename_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? slash + 1 : path;
}

/* Whether `word` is one of the space-separated words of `list`. */
static bool listed(const char *list, const char *word, size_t length)
{
    for (const char *entry = list; *entry != '\0';) {
        size_t entry_length = strcspn(entry, " ");
        if (entry_length == length && memcmp(entry, word, length) == 0)
            return true;
        entry += entry_length;
        entry += strspn(entry, " ");
    }
    return false;
}

/* NAME=value, as the shell, env and sudo take it. */
static bool is_assignment(const char *word)
{
    if (!((word[0] >= 'A' && word[0] <= 'Z') || (word[0] >= 'a' && word[0] <= 'z') || word[0] == '_'))
        return false;
    for (const char *c = word + 1; *c != '\0'; c++) {
        if (*c == '=')
            return true;
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
            return false;
    }
    return false;
}

/* ---------------------------------------------------------------------------------------
 * Wrappers: programs that run their operands as a command.
 * ------------------------------------------------------------------------------------- */

struct wrapper {
    const char *name;
    const char *short_with_argument; /* option letters that take the next word as argument */
    const char *long_with_argument;  /* long options (without "--") that take an argument */
    uint8_t operands;                /* operands before the command: a duration, priority, mask */
    bool assignments;                /* NAME=value words may precede the command */
};

/* Option sets follow GNU coreutils, util-linux, sudo and OpenBSD doas. Getting one wrong
 * only moves where we think the command starts; the raw argv join is a subject regardless. */
static const struct wrapper wrappers[] = {
    {"env", "uCSP", "unset chdir split-string", 0, true},
    {"nohup", "", "", 0, false},
    {"timeout", "sk", "signal kill-after", 1, false},
    {"nice", "n", "adjustment", 0, false},
    {"ionice", "cnp", "class classdata pid pgid uid", 0, false},
    {"stdbuf", "ioe", "input output error", 0, false},
    {"xargs", "adEILnPs", "arg-file delimiter max-args max-procs max-chars process-slot-var", 0, false},
    {"sudo", "CDgprRtTUuh", "close-from chdir group prompt role chroot type command-timeout other-user user host", 0,
     true},
    {"doas", "uC", "", 0, false},
    {"command", "", "", 0, false},
    {"exec", "a", "", 0, false},
    {"setsid", "", "", 0, false},
    {"chrt", "TPD", "sched-runtime sched-period sched-deadline", 1, false},
    {"taskset", "", "", 1, false},
};

/* The dynamic loader runs the program named by its first operand: `/lib64/ld-linux-x86-64.so.2
 * /usr/bin/nc` is nc, whatever the exec's own path says. */
static const struct wrapper loader = {
    "ld.so", "", "library-path preload argv0 audit inhibit-rpath glibc-hwcaps-prepend glibc-hwcaps-mask", 0, false};

static bool is_loader(const char *name)
{
    return strcmp(name, "ld.so") == 0 || (strncmp(name, "ld-", 3) == 0 && strstr(name, ".so") != NULL);
}

static const struct wrapper *find_wrapper(const char *name)
{
    if (is_loader(name))
        return &loader;
    for (size_t i = 0; i < sizeof wrappers / sizeof wrappers[0]; i++)
        if (strcmp(wrappers[i].name, name) == 0)
            return &wrappers[i];
    return NULL;
}

static size_t parse_script(struct collector *collector, const char *script, size_t i, char terminator,
                           unsigned depth);

/* `env -S 'cmd args'` (also in "#!/usr/bin/env -S" lines) splits its argument into the
 * command: look inside it like a script. */
static void inspect_option_argument(struct collector *collector, const struct wrapper *wrapper, bool split_string,
                                    const char *argument, unsigned depth)
{
    if (split_string && argument != NULL && strcmp(wrapper->name, "env") == 0)
        parse_script(collector, argument, 0, '\0', depth + 1);
}

/* Returns the index of the word after the wrapper's options, assignments and operands. */
static uint32_t skip_wrapper(struct collector *collector, const struct wrapper *wrapper, const char *const *words,
                             uint32_t count, uint32_t i, unsigned depth)
{
    for (i++; i < count; i++) {
        const char *word = words[i];
        if (strcmp(word, "--") == 0) {
            i++;
            break;
        }
        if (word[0] != '-')
            break;
        if (word[1] == '-') {
            const char *name = word + 2;
            const char *equals = strchr(name, '=');
            size_t name_length = equals != NULL ? (size_t)(equals - name) : strlen(name);
            const char *argument = equals != NULL ? equals + 1 : NULL;
            if (equals == NULL && listed(wrapper->long_with_argument, name, name_length) && i + 1 < count)
                argument = words[++i];
            bool split_string = name_length == 12 && memcmp(name, "split-string", 12) == 0;
            inspect_option_argument(collector, wrapper, split_string, argument, depth);
            continue;
        }
        /* A cluster such as "-n5" or "-iu NAME": the first letter that takes an argument
         * takes the rest of the word, or the next word. A lone "-" is env's -i. */
        for (const char *letter = word + 1; *letter != '\0'; letter++) {
            if (strchr(wrapper->short_with_argument, *letter) == NULL)
                continue;
            const char *argument = letter[1] != '\0' ? letter + 1 : (i + 1 < count ? words[++i] : NULL);
            inspect_option_argument(collector, wrapper, *letter == 'S', argument, depth);
            break;
        }
    }
    if (wrapper->assignments)
        while (i < count && is_assignment(words[i]))
            i++;
    for (unsigned operand = 0; operand < wrapper->operands && i < count; operand++)
        i++;
    return i;
}

/* ---------------------------------------------------------------------------------------
 * Shells
 * ------------------------------------------------------------------------------------- */

static bool is_shell(const char *name)
{
    return listed("sh bash dash zsh ksh ash mksh", name, strlen(name));
}

/* The SCRIPT of "SHELL [options] -c [options] SCRIPT", or NULL when the shell runs a file or
 * stdin. Shells read all options first, so -c may sit in any cluster (-lc, -ec) and
 * "-o pipefail" may come before or after it. */
static const char *shell_script(const char *const *words, uint32_t count, uint32_t i)
{
    bool command_string = false;
    for (i++; i < count; i++) {
        const char *word = words[i];
        if (strcmp(word, "--") == 0 || strcmp(word, "-") == 0) {
            i++;
            break;
        }
        if ((word[0] != '-' && word[0] != '+') || word[1] == '\0')
            break;
        if (word[0] == '-' && word[1] == '-') {
            if (listed("rcfile init-file", word + 2, strlen(word + 2)))
                i++;
            continue;
        }
        for (const char *letter = word + 1; *letter != '\0'; letter++) {
            if (*letter == 'c' && word[0] == '-')
                command_string = true;
            else if (*letter == 'o' || *letter == 'O')
                i++; /* the option's name: "-o pipefail" */
        }
    }
    return command_string && i < count ? words[i] : NULL;
}

/* ---------------------------------------------------------------------------------------
 * Commands
 * ------------------------------------------------------------------------------------- */

static size_t joined_length(const char *const *words, uint32_t from, uint32_t count)
{
    size_t length = 0;
    for (uint32_t i = from; i < count; i++)
        length += strlen(words[i]) + 1;
    return length;
}

/* Joins words[from..count) with single spaces into scratch, as much as fits. */
static const char *join_words(struct collector *collector, const char *const *words, uint32_t from, uint32_t count)
{
    if (collector->used >= collector->capacity) {
        collector->out->truncated = true;
        return NULL;
    }
    char *joined = collector->scratch + collector->used;
    size_t room = collector->capacity - collector->used - 1;
    size_t length = 0;
    for (uint32_t i = from; i < count; i++) {
        const char *word = words[i];
        if (i > from && length < room)
            joined[length++] = ' ';
        size_t word_length = strlen(word);
        size_t copied = word_length < room - length ? word_length : room - length;
        memcpy(joined + length, word, copied);
        length += copied;
        if (copied < word_length) {
            collector->out->truncated = true;
            break;
        }
    }
    joined[length] = '\0';
    collector->used += length + 1;
    return joined;
}

/* Adds the whole command line and, when wrappers were skipped, the unwrapped one. Both share
 * one copy: the unwrapped line is a suffix of the whole. When scratch is short, the
 * unwrapped line (what command rules are written against) goes first. */
static void add_command_lines(struct collector *collector, const char *const *words, uint32_t count, uint32_t start)
{
    size_t room = collector->used < collector->capacity ? collector->capacity - collector->used : 0;
    if (start > 0 && joined_length(words, 0, count) > room) {
        add_command(collector, join_words(collector, words, start, count));
        return;
    }
    const char *whole = join_words(collector, words, 0, count);
    if (whole == NULL)
        return;
    add_command(collector, whole);
    size_t offset = joined_length(words, 0, start);
    if (start > 0 && offset <= strlen(whole))
        add_command(collector, whole + offset);
}

/* Sees through wrappers to the command, records it, and looks inside a shell's script.
 * `first_name` names words[0] when the caller knows better than argv[0] (the real program
 * path of the exec, which argv[0] may disguise). */
static void unwrap_command(struct collector *collector, const char *const *words, uint32_t count,
                           const char *first_name, unsigned depth)
{
    if (count == 0)
        return;
    if (depth > MAX_NESTING) {
        collector->out->truncated = true;
        return;
    }
    uint32_t i = 0;
    const char *name = first_name != NULL ? first_name : basename_of(words[0]);
    for (;;) {
        const struct wrapper *wrapper = find_wrapper(name);
        uint32_t next;
        if (wrapper != NULL) {
            next = skip_wrapper(collector, wrapper, words, count, i, depth);
        } else if (strcmp(name, "busybox") == 0) {
            /* Busybox runs the applet named by argv[0] unless argv[0] is "busybox" itself. */
            if (i == 0 && strcmp(basename_of(words[0]), "busybox") != 0) {
                name = basename_of(words[0]);
                if (find_wrapper(name) != NULL)
                    continue;
                break;
            }
            next = i + 1;
        } else {
            break;
        }
        /* A wrapper without a command ("env" alone prints the environment) is the command. */
        if (next >= count)
            break;
        i = next;
        name = basename_of(words[i]);
    }
    add_program(collector, words[i]);
    const char *script = is_shell(name) ? shell_script(words, count, i) : NULL;
    if (script != NULL) {
        add_command(collector, script);
        parse_script(collector, script, 0, '\0', depth + 1);
    }
    add_command_lines(collector, words, count, i);
}

/* ---------------------------------------------------------------------------------------
 * Scripts: split into simple commands on | ; & newline ( ) and inside $( ) and ` `, with
 * '...', "..." and backslash honoured when cutting words. Words are copied into scratch.
 * ------------------------------------------------------------------------------------- */

struct simple_command {
    const char *words[MAX_SCRIPT_WORDS];
    uint32_t count;
    size_t word_start;
    bool in_word;
};

static void word_begin(struct collector *collector, struct simple_command *command)
{
    if (!command->in_word) {
        command->in_word = true;
        command->word_start = collector->used;
    }
}

static void word_put(struct collector *collector, struct simple_command *command, char c)
{
    word_begin(collector, command);
    /* Keep one byte for the word's NUL. */
    if (collector->used + 1 < collector->capacity)
        collector->scratch[collector->used++] = c;
    else
        collector->out->truncated = true;
}

static void word_end(struct collector *collector, struct simple_command *command)
{
    if (!command->in_word)
        return;
    command->in_word = false;
    if (collector->used >= collector->capacity) {
        collector->out->truncated = true;
        return;
    }
    collector->scratch[collector->used++] = '\0';
    if (command->count < MAX_SCRIPT_WORDS)
        command->words[command->count++] = collector->scratch + command->word_start;
    else
        collector->out->truncated = true;
}

/* Words that start a compound command or negate one: the program comes after them. */
static bool is_shell_keyword(const char *word)
{
    return listed("! { } if then else elif fi do done while until time", word, strlen(word));
}

static void command_end(struct collector *collector, struct simple_command *command, unsigned depth)
{
    word_end(collector, command);
    uint32_t first = 0;
    while (first < command->count && (is_assignment(command->words[first]) || is_shell_keyword(command->words[first])))
        first++;
    if (first < command->count)
        unwrap_command(collector, command->words + first, command->count - first, NULL, depth);
    command->count = 0;
}

enum quoting { QUOTING_NONE, QUOTING_SINGLE, QUOTING_DOUBLE };

/* Parses script[i..] up to its end or an unquoted `terminator` (')' of "$(", '`'), handing
 * each simple command to unwrap_command. Returns the offset after what it consumed. */
static size_t parse_script(struct collector *collector, const char *script, size_t i, char terminator,
                           unsigned depth)
{
    if (depth > MAX_NESTING) {
        collector->out->truncated = true;
        return i + strlen(script + i);
    }
    struct simple_command command;
    command.count = 0;
    command.in_word = false;
    enum quoting quoting = QUOTING_NONE;
    while (script[i] != '\0') {
        char c = script[i];
        if (quoting == QUOTING_SINGLE) {
            if (c == '\'')
                quoting = QUOTING_NONE;
            else
                word_put(collector, &command, c);
            i++;
            continue;
        }
        if (c == '\\') {
            if (script[i + 1] != '\0' && script[i + 1] != '\n')
                word_put(collector, &command, script[i + 1]);
            i += script[i + 1] != '\0' ? 2 : 1;
            continue;
        }
        /* Command substitution runs inside double quotes too: "$(curl x | sh)". */
        if (c == '$' && script[i + 1] == '(') {
            word_end(collector, &command);
            i = parse_script(collector, script, i + 2, ')', depth + 1);
            continue;
        }
        if (c == '`') {
            word_end(collector, &command);
            if (terminator == '`') {
                command_end(collector, &command, depth);
                return i + 1;
            }
            i = parse_script(collector, script, i + 1, '`', depth + 1);
            continue;
        }
        if (quoting == QUOTING_DOUBLE) {
            if (c == '"')
                quoting = QUOTING_NONE;
            else
                word_put(collector, &command, c);
            i++;
            continue;
        }
        switch (c) {
        case '\'':
            quoting = QUOTING_SINGLE;
            word_begin(collector, &command);
            break;
        case '"':
            quoting = QUOTING_DOUBLE;
            word_begin(collector, &command);
            break;
        case ' ':
        case '\t':
            word_end(collector, &command);
            break;
        case '&':
            /* Redirections "2>&1", "<&3", "&>file" are part of the command, not separators. */
            if ((i > 0 && (script[i - 1] == '>' || script[i - 1] == '<')) || script[i + 1] == '>') {
                word_put(collector, &command, c);
                break;
            }
            command_end(collector, &command, depth);
            break;
        case ')':
            if (terminator == ')') {
                command_end(collector, &command, depth);
                return i + 1;
            }
            command_end(collector, &command, depth);
            break;
        case '|':
        case ';':
        case '\n':
        case '(':
            command_end(collector, &command, depth);
            break;
        default:
            word_put(collector, &command, c);
            break;
        }
        i++;
    }
    command_end(collector, &command, depth);
    return i;
}

int afw_exec_subjects(const char *program, const char *const *argv, uint32_t argc, struct afw_exec_subjects *out,
                      char *scratch, size_t scratch_size)
{
    if (out == NULL)
        return AFW_E_INVALID;
    memset(out, 0, sizeof *out);
    if (argc > 0 && argv == NULL)
        return AFW_E_INVALID;
    for (uint32_t i = 0; i < argc; i++)
        if (argv[i] == NULL)
            return AFW_E_INVALID;
    struct collector collector = {out, scratch, 0, scratch != NULL ? scratch_size : 0};
    bool known_program = program != NULL && program[0] != '\0';
    add_program(&collector, program);
    unwrap_command(&collector, argv, argc, known_program ? basename_of(program) : NULL, 0);
    return AFW_OK;
}
