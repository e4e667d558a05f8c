/*
 * check_exec.c: turns an exec-family call into an EXEC event: the program as an absolute
 * path (after a PATH search for the p-variants; not symlink-resolved, so that a rule on
 * "nc" still matches /usr/bin/nc -> /etc/alternatives/nc) and its argv, which the table
 * unwraps (sh -c, env, nohup, ...).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim.h"

/* glibc's execvp searches this when PATH is unset (confstr(_CS_PATH)). */

static uint32_t count_arguments(char *const argv[]) {
    uint32_t count = 0;
    while (argv != NULL && argv[count] != NULL && count < UINT16_MAX) {
        count++;
    }
    return count;
}

/* True when path is an ELF file without a PT_INTERP program header: nothing will load the
 * shim into it (static binaries, most Go programs). Three reads of the file; an exec costs
 * far more. Anything unreadable or not ELF (a script) is not static: its interpreter is. */
static bool is_static_binary(const char *path) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    bool is_static = false;
    Elf64_Ehdr header;
    if (pread(fd, &header, sizeof header, 0) == (ssize_t)sizeof header &&
        memcmp(header.e_ident, ELFMAG, SELFMAG) == 0 && header.e_ident[EI_CLASS] == ELFCLASS64 &&
        header.e_phentsize == sizeof(Elf64_Phdr) && header.e_phnum > 0 && header.e_phnum < 256) {
        is_static = true;
        for (uint16_t i = 0; i < header.e_phnum; i++) {
            Elf64_Phdr program_header;
            off_t offset = (off_t)(header.e_phoff + (uint64_t)i * sizeof program_header);
            if (pread(fd, &program_header, sizeof program_header, offset) != (ssize_t)sizeof program_header ||
                program_header.p_type == PT_INTERP) {
                is_static = false;
                break;
            }
        }
    }
    close(fd);
    return is_static;
}

/* posix_spawn, system and popen exec in a child that libc creates and runs itself: its
 * execve comes from libc, where the backstop would decide it (and ask for a review) a second
 * time. An allowed one leaves a token that lets exactly that exec through (spawn_token.c). */
static int handed_over(const char *op, const char *program, int verdict) {
    static const char *const libc_spawns[] = {"posix_spawn", "posix_spawnp", "system", "popen"};
    const struct afw_shim_state *state = afw_shim_state();
    if (verdict != 0 || state->backstop != AFW_BACKSTOP_STANDARD || state->segment == NULL) {
        return verdict;
    }
    for (size_t i = 0; i < sizeof libc_spawns / sizeof libc_spawns[0]; i++) {
        if (strcmp(op, libc_spawns[i]) == 0) {
            afw_spawn_token_put(state->segment, (int32_t)getpid(), program, afw_monotonic_ns());
            break;
        }
    }
    return verdict;
}

/* by_name: the program was named by a path. A program that is not there fails with ENOENT
 * in the kernel; Python's subprocess, for one, tries every PATH entry in turn, and judging
 * each miss would print a block line for files that do not exist. A descriptor's program
 * (fexecve of a memfd reads back as "/memfd:x (deleted)") is always judged. */
static int decide_exec(const char *op, const char *absolute, char *const argv[], bool by_name,
                       uint64_t started_ns) {
    if (by_name && access(absolute, F_OK) != 0 && errno == ENOENT) {
        return 0;
    }
    struct afw_event_view event = {
        .surface = AFW_SURFACE_EXEC,
        .access = AFW_ACCESS_EXEC,
        .program = absolute,
        .argv = (const char *const *)argv,
        .argc = count_arguments(argv),
        /* Only a run without the backstop needs to know: with it, a static binary's own
         * calls are decided by the supervisor like any other uncovered call. */
        .event_flags = afw_shim_state()->backstop == AFW_BACKSTOP_NONE && is_static_binary(absolute)
                           ? AFW_EVENT_STATIC_BINARY
                           : 0,
    };
    /* `ln -s /usr/bin/nc ok; ./ok` must still be nc: when a symlink renames the program, a
     * rule that blocks or reviews the file it resolves to stands over the name's decision.
     * Only a matching rule counts there, not a surface default: /usr/bin/cc resolves to
     * x86_64-linux-gnu-gcc-12, which an allowlist of "cc" does not name and should not have to. */
    char resolved[PATH_MAX];
    bool exists;
    /* The plain resolver answers in two syscalls when no symlink is met; only a path that
     * goes through one pays for the full resolution. */
    bool resolved_ok = by_name && (afw_path_resolve_plain(absolute, true, resolved, sizeof resolved, &exists) == AFW_OK ||
                                   afw_path_resolve(absolute, true, resolved, sizeof resolved) == AFW_OK);
    if (resolved_ok && strcmp(resolved, absolute) != 0) {
        const struct afw_shim_state *state = afw_shim_state();
        struct afw_event_view through_link = event;
        through_link.program = resolved;
        struct afw_decision named = afw_table_decide(state->table, state->table_size, &event);
        struct afw_decision linked = afw_table_decide(state->table, state->table_size, &through_link);
        if (linked.rule_index != AFW_RULE_DEFAULT &&
            afw_action_strictness(linked.action) > afw_action_strictness(named.action)) {
            return handed_over(op, absolute, afw_decide(op, &through_link, started_ns));
        }
    }
    int verdict = afw_decide(op, &event, started_ns);
    if (verdict == 0 && (event.event_flags & AFW_EVENT_STATIC_BINARY) &&
        !(afw_shim_state()->segment_flags & AFW_SEGMENT_QUIET)) {
        afw_report_static_binary(absolute);
    }
    return handed_over(op, absolute, verdict);
}

static int decide_exec_at(const char *op, int dirfd, const char *path, char *const argv[], bool by_name,
                          uint64_t started_ns) {
    if (path == NULL) {
        return 0; /* EFAULT from the kernel */
    }
    char absolute[PATH_MAX];
    int status = afw_path_absolute(dirfd, path, absolute, sizeof absolute);
    if (status == AFW_E_INVALID && dirfd != AT_FDCWD) {
        return 0; /* not a directory or file descriptor the kernel could exec from */
    }
    if (status != AFW_OK) {
        return -1; /* no name to judge it by: refuse (fail closed) */
    }
    return decide_exec(op, absolute, argv, by_name, started_ns);
}

int afw_check_exec(const char *op, const char *program, char *const argv[]) {
    return afw_check_exec_at(op, AT_FDCWD, program, argv, 0);
}

int afw_check_exec_at(const char *op, int dirfd, const char *path, char *const argv[], int flags) {
    struct afw_entry entry = afw_enter();
    if (entry.gate != AFW_GATE_DECIDE) {
        return afw_leave(&entry, afw_gate_verdict(&entry));
    }
    /* fexecve and execveat(fd, "", AT_EMPTY_PATH) run the file the descriptor names; its
     * /proc/self/fd link is the path (afw_path_absolute of "" relative to the fd). */
    bool by_name = !((flags & AT_EMPTY_PATH) && path != NULL && path[0] == '\0');
    return afw_leave(&entry, decide_exec_at(op, dirfd, path, argv, by_name, entry.started_ns));
}

bool afw_search_candidate(const char **search, const char *file, char *out, size_t out_size) {
    if (*search == NULL) {
        return false;
    }
    size_t length = strcspn(*search, ":");
    /* An empty entry means the current directory. */
    const char *directory = length == 0 ? "." : *search;
    size_t directory_length = length == 0 ? 1 : length;
    size_t file_length = strlen(file);
    if (directory_length + 1 + file_length < out_size) {
        memcpy(out, directory, directory_length);
        out[directory_length] = '/';
        memcpy(out + directory_length + 1, file, file_length + 1);
    } else {
        out[0] = '\0';
    }
    *search = (*search)[length] == '\0' ? NULL : *search + length + 1;
    return true;
}

/* Finds file in $PATH the way execvp does: the first entry where it is an executable
 * regular file. False when there is none (the real call then fails on its own). */
static bool search_path(const char *file, char *out, size_t out_size) {
    const char *search = getenv("PATH");
    if (search == NULL) {
        search = AFW_DEFAULT_SEARCH_PATH;
    }
    char candidate[PATH_MAX];
    while (afw_search_candidate(&search, file, candidate, sizeof candidate)) {
        struct stat status;
        if (candidate[0] != '\0' && stat(candidate, &status) == 0 && S_ISREG(status.st_mode) &&
            access(candidate, X_OK) == 0) {
            return afw_path_absolute(AT_FDCWD, candidate, out, out_size) == AFW_OK;
        }
    }
    return false;
}

int afw_check_exec_search(const char *op, const char *file, char *const argv[]) {
    if (file == NULL || file[0] == '\0' || strchr(file, '/') != NULL) {
        return afw_check_exec(op, file, argv);
    }
    struct afw_entry entry = afw_enter();
    if (entry.gate != AFW_GATE_DECIDE) {
        return afw_leave(&entry, afw_gate_verdict(&entry));
    }
    char absolute[PATH_MAX];
    int verdict = search_path(file, absolute, sizeof absolute) ? decide_exec(op, absolute, argv, true, entry.started_ns) : 0;
    return afw_leave(&entry, verdict);
}

int afw_check_shell(const char *op, const char *command) {
    if (command == NULL) {
        return 0; /* system(NULL) only asks whether a shell exists */
    }
    /* What system() and popen() run: /bin/sh -c COMMAND. */
    char *const argv[] = {"sh", "-c", (char *)command, NULL};
    return afw_check_exec(op, "/bin/sh", argv);
}
