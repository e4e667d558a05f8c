/*
 * hooks_exec.c: the exec family. Each variant is decided on the program it will really run
 * (the p-variants after the same PATH search execvp makes) and then made with the child's
 * environment rebuilt (afw_env_with_child), so that no exec sheds the firewall. The
 * variants without an envp use environ; the l-variants collect their arguments on the
 * stack. Everything here may run in a vfork child: no malloc.
 *
 * Contract of every hook: decide (afw_check_exec*), then exec with the rebuilt environment;
 * a denied call returns -1 with errno EACCES.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real_symbols.h"
#include "shim.h"

extern char **environ;

struct exec_call {
    bool search; /* execvpe: libc's PATH walk; otherwise one system call */
    long number; /* SYS_execve or SYS_execveat */
    int fd;
    const char *path;
    char *const *argv;
    int flags;
};

/* A decided exec is made through the gadget page (direct_syscall.c), so the backstop does not
 * decide it again. execvpe keeps glibc's own PATH walk and its ENOEXEC fallback to /bin/sh;
 * its execs come from libc and the backstop sees them too. */
static int exec_with(char *const envp[], void *context) {
    const struct exec_call *call = context;
    if (call->search) {
        int (*real)(const char *, char *const[], char *const[]) = AFW_REAL(execvpe);
        return real != NULL ? real(call->path, call->argv, envp) : (errno = ENOSYS, -1);
    }
    if (call->number == SYS_execveat) {
        return (int)afw_direct_syscall(SYS_execveat, call->fd, (long)call->path, (long)call->argv, (long)envp,
                                       call->flags, 0);
    }
    return (int)afw_direct_syscall(SYS_execve, (long)call->path, (long)call->argv, (long)envp, 0, 0, 0);
}

/* Decides by path (searched in PATH when `search`) and execs with the rebuilt environment. */
static int exec_hook(const char *op, bool search, const char *path, char *const argv[], char *const envp[]) {
    if (!afw_shim_busy()) {
        int verdict = search ? afw_check_exec_search(op, path, argv) : afw_check_exec(op, path, argv);
        if (verdict != 0) {
            return -1;
        }
    }
    struct exec_call call = {.search = search, .number = SYS_execve, .path = path, .argv = argv};
    return afw_env_with_child(envp, exec_with, &call);
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
