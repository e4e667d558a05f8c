/*
 * hooks_syscall.c: the raw syscall() entry point, which programs (and runtimes such as
 * libuv) use to reach the kernel without libc's wrappers. The covered numbers are decided
 * like their wrappers; every other number passes untouched. Static binaries and inline
 * syscall instructions never come here: the supervisor's seccomp backstop covers those.
 *
 * Contract: a denied call returns -1 with errno EACCES; otherwise libc's syscall() result.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real_symbols.h"
#include "shim.h"

struct syscall_call {
    long number;
    long arguments[6];
};

/* The flags of an open-family call (creat's are implied). */
static int open_flags(const struct syscall_call *call) {
    switch (call->number) {
#ifdef SYS_open
    case SYS_open: return (int)call->arguments[1];
#endif
    case SYS_openat: return (int)call->arguments[2];
    case SYS_openat2: return (int)((const struct open_how *)call->arguments[2])->flags;
    default: return O_CREAT | O_WRONLY | O_TRUNC;
    }
}

/* The numbers check() decides; the others pass untouched. */
static bool decided_here(long number) {
    switch (number) {
#ifdef SYS_open
    case SYS_open:
#endif
#ifdef SYS_creat
    case SYS_creat:
#endif
#ifdef SYS_rename
    case SYS_rename:
#endif
#ifdef SYS_link
    case SYS_link:
#endif
#ifdef SYS_unlink
    case SYS_unlink:
#endif
#ifdef SYS_rmdir
    case SYS_rmdir:
#endif
    case SYS_openat: case SYS_openat2: case SYS_execve: case SYS_execveat: case SYS_connect:
    case SYS_sendto: case SYS_sendmsg: case SYS_renameat: case SYS_renameat2: case SYS_linkat:
    case SYS_unlinkat: case SYS_truncate:
        return true;
    default:
        return false;
    }
}

/* A call decided here goes through the gadget page, so the backstop does not decide it
 * again; any other number goes through libc's syscall(), where the backstop sees what it
 * covers (sendmmsg, say) like any raw call. */
static long forward(const struct syscall_call *call) {
    const long *a = call->arguments;
    if (decided_here(call->number)) {
        return afw_direct_syscall(call->number, a[0], a[1], a[2], a[3], a[4], a[5]);
    }
    long (*real)(long, ...) = AFW_REAL(syscall);
    return real != NULL ? real(call->number, a[0], a[1], a[2], a[3], a[4], a[5]) : (errno = ENOSYS, -1);
}

static int exec_with(char *const envp[], void *context) {
    struct syscall_call call = *(const struct syscall_call *)context;
    /* execve(path, argv, envp) and execveat(dirfd, path, argv, envp, flags) */
    call.arguments[call.number == SYS_execve ? 2 : 3] = (long)envp;
    return (int)forward(&call);
}

/* 0 pass, -1 deny. For an open, `checked` gets the path allowed (afw_confirm_open). */
static int check(const struct syscall_call *call, struct afw_open_check *checked) {
    const long *a = call->arguments;
    switch (call->number) {
#ifdef SYS_open
    case SYS_open:
        return afw_check_open("syscall", AT_FDCWD, (const char *)a[0], (int)a[1], checked);
#endif
#ifdef SYS_creat
    case SYS_creat:
        return afw_check_open("syscall", AT_FDCWD, (const char *)a[0], O_CREAT | O_WRONLY | O_TRUNC, checked);
#endif
    case SYS_openat:
        return afw_check_open("syscall", (int)a[0], (const char *)a[1], (int)a[2], checked);
    case SYS_openat2: {
        /* openat2(dirfd, path, struct open_how *, size): the flags are the how's first field. */
        const struct open_how *how = (const struct open_how *)a[2];
        if (how == NULL || (size_t)a[3] < sizeof how->flags) {
            return 0; /* EFAULT or EINVAL from the kernel */
        }
        return afw_check_open("syscall", (int)a[0], (const char *)a[1], (int)how->flags, checked);
    }
    case SYS_execve:
        return afw_check_exec("syscall", (const char *)a[0], (char *const *)a[1]);
    case SYS_execveat:
        return afw_check_exec_at("syscall", (int)a[0], (const char *)a[1], (char *const *)a[2], (int)a[4]);
    case SYS_connect:
        return afw_check_connect("syscall", (const struct sockaddr *)a[1], (socklen_t)a[2]);
    case SYS_sendto:
        return a[4] != 0 ? afw_check_connect("syscall", (const struct sockaddr *)a[4], (socklen_t)a[5]) : 0;
    case SYS_sendmsg: {
        const struct msghdr *message = (const struct msghdr *)a[1];
        return message != NULL && message->msg_name != NULL
                   ? afw_check_connect("syscall", message->msg_name, message->msg_namelen)
                   : 0;
    }
#ifdef SYS_rename
    case SYS_rename:
        return afw_check_new_name("syscall", AT_FDCWD, (const char *)a[0], AT_FDCWD, (const char *)a[1], false, false);
#endif
#ifdef SYS_link
    case SYS_link:
        return afw_check_new_name("syscall", AT_FDCWD, (const char *)a[0], AT_FDCWD, (const char *)a[1], false, false);
#endif
    case SYS_renameat:
    case SYS_renameat2:
        return afw_check_new_name("syscall", (int)a[0], (const char *)a[1], (int)a[2], (const char *)a[3], false,
                                  call->number == SYS_renameat2 && (a[4] & RENAME_EXCHANGE));
#ifdef SYS_unlink
    case SYS_unlink:
        return afw_check_change("syscall", AT_FDCWD, (const char *)a[0], false);
#endif
#ifdef SYS_rmdir
    case SYS_rmdir:
        return afw_check_change("syscall", AT_FDCWD, (const char *)a[0], false);
#endif
    case SYS_unlinkat:
        return afw_check_change("syscall", (int)a[0], (const char *)a[1], false);
    case SYS_truncate:
        return afw_check_change("syscall", AT_FDCWD, (const char *)a[0], true);
    case SYS_linkat:
        return afw_check_linkat("syscall", (int)a[0], (const char *)a[1], (int)a[2], (const char *)a[3], (int)a[4]);
    default:
        return 0;
    }
}

AFW_EXPORT long syscall(long number, ...) {
    /* The kernel takes six register arguments; reading six longs covers every call. */
    struct syscall_call call = {.number = number};
    va_list arguments;
    va_start(arguments, number);
    for (int i = 0; i < 6; i++) {
        call.arguments[i] = va_arg(arguments, long);
    }
    va_end(arguments);
    if (afw_shim_busy()) {
        return forward(&call);
    }
    struct afw_open_check checked = {.path = ""};
    if (check(&call, &checked) != 0) {
        return -1;
    }
    if (call.number == SYS_execve) {
        return afw_env_with_child((char *const *)call.arguments[2], exec_with, &call);
    }
    if (call.number == SYS_execveat) {
        return afw_env_with_child((char *const *)call.arguments[3], exec_with, &call);
    }
    long result = forward(&call);
    /* Only an open fills `checked`; the descriptor it returned is confirmed. */
    return checked.path[0] != '\0' ? afw_confirm_open("syscall", (int)result, open_flags(&call), &checked) : result;
}
