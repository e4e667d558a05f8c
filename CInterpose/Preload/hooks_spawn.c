/*
 * hooks_spawn.c: process creation that does not go through our exec hooks. posix_spawn and
 * posix_spawnp exec inside libc (clone + internal execve), system() and popen() spawn
 * /bin/sh the same way with environ, and a file action's open happens in the child through
 * libc's internal open. Each is decided before libc starts anything.
 *
 * Contract: posix_spawn* and addopen return EACCES when denied (they report errors by
 * return value); system() returns -1 and popen() NULL with errno EACCES.
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>

#include "real_symbols.h"
#include "shim.h"

struct spawn_call {
    enum afw_real_id id;
    pid_t *pid;
    const char *path;
    const posix_spawn_file_actions_t *actions;
    const posix_spawnattr_t *attributes;
    char *const *argv;
};

static int spawn_with(char *const envp[], void *context) {
    const struct spawn_call *call = context;
    int (*real)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                char *const[], char *const[]) =
        (int (*)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                 char *const[], char *const[]))afw_real_symbol(call->id);
    return real != NULL ? real(call->pid, call->path, call->actions, call->attributes, call->argv, envp) : ENOSYS;
}

static int spawn_hook(const char *op, bool search, pid_t *pid, const char *path,
                      const posix_spawn_file_actions_t *actions, const posix_spawnattr_t *attributes,
                      char *const argv[], char *const envp[]) {
    if (!afw_shim_busy()) {
        int verdict = search ? afw_check_exec_search(op, path, argv) : afw_check_exec(op, path, argv);
        if (verdict != 0) {
            return EACCES;
        }
    }
    struct spawn_call call = {
        .id = search ? AFW_REAL_ID_posix_spawnp : AFW_REAL_ID_posix_spawn,
        .pid = pid,
        .path = path,
        .actions = actions,
        .attributes = attributes,
        .argv = argv,
    };
    return afw_env_with_child(envp, spawn_with, &call);
}

AFW_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                           const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]) {
    return spawn_hook("posix_spawn", false, pid, path, actions, attributes, argv, envp);
}

AFW_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                            const posix_spawnattr_t *attributes, char *const argv[], char *const envp[]) {
    return spawn_hook("posix_spawnp", true, pid, file, actions, attributes, argv, envp);
}

/* The open runs later, in the child, where no hook sees it: decided now, relative to the
 * current directory (the op name is cut to fit the audit record's 15 characters). */
AFW_EXPORT int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *actions, int fd, const char *path,
                                                int flags, mode_t mode) {
    if (!afw_shim_busy() && afw_check_open("spawn_addopen", AT_FDCWD, path, flags, NULL) != 0) {
        return EACCES;
    }
    int (*real)(posix_spawn_file_actions_t *, int, const char *, int, mode_t) =
        AFW_REAL(posix_spawn_file_actions_addopen);
    return real != NULL ? real(actions, fd, path, flags, mode) : ENOSYS;
}

AFW_EXPORT int system(const char *command) {
    if (!afw_shim_busy() && afw_check_shell("system", command) != 0) {
        return -1;
    }
    /* libc's system() spawns the shell with environ: put our variables back first. */
    afw_env_restore_process();
    int (*real)(const char *) = AFW_REAL(system);
    return real != NULL ? real(command) : (errno = ENOSYS, -1);
}

AFW_EXPORT FILE *popen(const char *command, const char *type) {
    if (!afw_shim_busy() && afw_check_shell("popen", command) != 0) {
        return NULL;
    }
    afw_env_restore_process();
    FILE *(*real)(const char *, const char *) = AFW_REAL(popen);
    return real != NULL ? real(command, type) : (errno = ENOSYS, NULL);
}
