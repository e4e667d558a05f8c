/*
 * hooks_exec.c: the exec family. Each variant is decided on the program it will really run
 * (the p-variants walk PATH here, as execvp does) and then made with the child's
 * environment rebuilt (afw_env_with_child), so that no exec sheds the firewall. The
 * variants without an envp use environ; the l-variants collect their arguments on the
 * stack. Everything here may run in a vfork child: no malloc.
 *
 * Contract of every hook: decide (afw_check_exec*), then exec with the rebuilt environment;
 * a denied call returns -1 with errno EACCES.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real_symbols.h"
#include "shim.h"

extern char **environ;

struct exec_call {
    long number; /* SYS_execve or SYS_execveat */
    int fd;
    const char *path;
    char *const *argv;
    int flags;
};

/* A decided exec is made through the gadget page (direct_syscall.c), so the backstop does not
 * decide it again. */
static int exec_with(char *const envp[], void *context) {
    const struct exec_call *call = context;
    if (call->number == SYS_execveat) {
        return (int)afw_direct_syscall(SYS_execveat, call->fd, (long)call->path, (long)call->argv, (long)envp,
                                       call->flags, 0);
    }
    return (int)afw_direct_syscall(SYS_execve, (long)call->path, (long)call->argv, (long)envp, 0, 0, 0);
}

/* Decides one program and execs it with the rebuilt environment; returns only on failure. */
static int exec_decided(const char *op, const char *path, char *const argv[], char *const envp[]) {
    if (!afw_shim_busy() && afw_check_exec(op, path, argv) != 0) {
        return -1;
    }
    struct exec_call call = {.number = SYS_execve, .path = path, .argv = argv};
    return afw_env_with_child(envp, exec_with, &call);
}

/* glibc's fallback for a file the kernel cannot run (ENOEXEC: a script without "#!"):
 * /bin/sh FILE ARGS..., decided like any exec. */
static int exec_as_script(const char *op, const char *path, char *const argv[], char *const envp[]) {
    size_t count = 0;
    while (argv != NULL && argv[count] != NULL) {
        count++;
    }
    char *script_argv[count + 2];
    script_argv[0] = "/bin/sh";
    script_argv[1] = (char *)path;
    for (size_t i = 1; i < count; i++) {
        script_argv[i + 1] = argv[i];
    }
    script_argv[count > 0 ? count + 1 : 2] = NULL;
    return exec_decided(op, "/bin/sh", script_argv, envp);
}

/* execvp's PATH walk, made here rather than by glibc's execvpe, whose execs come from inside
 * libc where the backstop would decide each a second time (and ask a second time for a
 * review). glibc's rules: an empty entry is the working directory; a program found but not
 * runnable (EACCES) lets the search go on and is the error if nothing else runs; ENOEXEC runs
 * the file with /bin/sh. A program the firewall denies ends the search (EACCES). */
static int exec_search(const char *op, const char *file, char *const argv[], char *const envp[]) {
    if (file == NULL || file[0] == '\0' || strchr(file, '/') != NULL) {
        int result = exec_decided(op, file, argv, envp);
        return errno == ENOEXEC && file != NULL ? exec_as_script(op, file, argv, envp) : result;
    }
    const char *search = getenv("PATH");
    if (search == NULL) {
        search = AFW_DEFAULT_SEARCH_PATH;
    }
    bool found_unrunnable = false;
    char candidate[PATH_MAX];
    while (afw_search_candidate(&search, file, candidate, sizeof candidate)) {
        if (candidate[0] == '\0') {
            continue; /* too long to name */
        }
        if (!afw_shim_busy() && afw_check_exec(op, candidate, argv) != 0) {
            return -1;
        }
        struct exec_call call = {.number = SYS_execve, .path = candidate, .argv = argv};
        afw_env_with_child(envp, exec_with, &call);
        switch (errno) {
        case ENOEXEC:
            return exec_as_script(op, candidate, argv, envp);
        case EACCES:
            found_unrunnable = true;
            break;
        case ENOENT: case ENOTDIR: case ESTALE: case ENODEV: case ETIMEDOUT:
            break;
        default:
            return -1;
        }
    }
    errno = found_unrunnable ? EACCES : ENOENT;
    return -1;
}

/* Decides by path (searched in PATH when `search`) and execs with the rebuilt environment. */
static int exec_hook(const char *op, bool search, const char *path, char *const argv[], char *const envp[]) {
    return search ? exec_search(op, path, argv, envp) : exec_decided(op, path, argv, envp);
}

AFW_EXPORT int execve(const char *path, char *const argv[], char *const envp[]) {
    return exec_hook("execve", false, path, argv, envp);
}

AFW_EXPORT int execv(const char *path, char *const argv[]) {
    return exec_hook("execv", false, path, argv, environ);
}

AFW_EXPORT int execvp(const char *file, char *const argv[]) {
    return exec_hook("execvp", true, file, argv, environ);
}

AFW_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[]) {
    return exec_hook("execvpe", true, file, argv, envp);
}

/* The l-variants: arg0, ..., NULL (then envp, for execle only) into an argv on the stack.
 * A macro because va_start must run in the variadic function itself. */
#define COLLECT_ARGUMENTS(argv_name, first, envp_out, has_envp)        \
    size_t count_ = 1;                                                 \
    va_list arguments_;                                                \
    va_start(arguments_, first);                                       \
    while (va_arg(arguments_, char *) != NULL) {                       \
        count_++;                                                      \
    }                                                                  \
    va_end(arguments_);                                                \
    char *argv_name[count_ + 1];                                       \
    argv_name[0] = (char *)(first);                                    \
    va_start(arguments_, first);                                       \
    for (size_t i_ = 1; i_ <= count_; i_++) {                          \
        argv_name[i_] = va_arg(arguments_, char *);                    \
    }                                                                  \
    if (has_envp) {                                                    \
        envp_out = va_arg(arguments_, char *const *);                  \
    }                                                                  \
    va_end(arguments_)

AFW_EXPORT int execl(const char *path, const char *arg, ...) {
    char *const *envp = environ;
    COLLECT_ARGUMENTS(argv, arg, envp, false);
    return exec_hook("execl", false, path, argv, envp);
}

AFW_EXPORT int execlp(const char *file, const char *arg, ...) {
    char *const *envp = environ;
    COLLECT_ARGUMENTS(argv, arg, envp, false);
    return exec_hook("execlp", true, file, argv, envp);
}

AFW_EXPORT int execle(const char *path, const char *arg, ...) {
    char *const *envp = NULL;
    COLLECT_ARGUMENTS(argv, arg, envp, true);
    return exec_hook("execle", false, path, argv, envp);
}

AFW_EXPORT int fexecve(int fd, char *const argv[], char *const envp[]) {
    if (!afw_shim_busy() && afw_check_exec_at("fexecve", fd, "", argv, AT_EMPTY_PATH) != 0) {
        return -1;
    }
    /* fexecve(fd) is execveat(fd, "", AT_EMPTY_PATH), which is how glibc makes it. */
    struct exec_call call = {.number = SYS_execveat, .fd = fd, .path = "", .argv = argv, .flags = AT_EMPTY_PATH};
    return afw_env_with_child(envp, exec_with, &call);
}

AFW_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags) {
    if (!afw_shim_busy() && afw_check_exec_at("execveat", dirfd, path, argv, flags) != 0) {
        return -1;
    }
    struct exec_call call = {.number = SYS_execveat, .fd = dirfd, .path = path, .argv = argv, .flags = flags};
    return afw_env_with_child(envp, exec_with, &call);
}
