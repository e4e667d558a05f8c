/*
 * backstop_arm.c: before this process execs a static binary (one the loader will never load
 * the shim into), install a seccomp filter that sends its opens, execs and connects to the
 * supervisor, and hand the filter's listener to the supervisor. From then on the program's
 * own calls are decided by the same engine, marked "backstop" in the audit. The filter is
 * raw BPF (the shim depends on libc only) and inherited by everything the program starts.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim.h"

#define AFW_ENV_BACKSTOP "AGENTFIREWALL_BACKSTOP"

#define LOAD(field) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, field))

static int install_filter(void) {
#if defined(__x86_64__)
    struct sock_filter program[] = {
        LOAD(arch),
        /* Another ABI (int 0x80, x32) would bring other call numbers past this check. */
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        LOAD(nr),
        BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 0, 1), /* __X32_SYSCALL_BIT */
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_open, 7, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 6, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 5, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_creat, 4, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execve, 3, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_execveat, 2, 0),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_connect, 1, 0),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    };
    struct sock_fprog filter = {.len = sizeof program / sizeof program[0], .filter = program};
    /* WAIT_KILLABLE_RECV: once the supervisor has the call, an ordinary signal (Go's
     * preemption SIGURG, a pipeline's SIGCHLD) no longer aborts and restarts it. */
    long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                      SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &filter);
    if (fd < 0 && errno == EINVAL) {
        fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &filter);
    }
    return (int)fd;
#else
    errno = ENOSYS;
    return -1;
#endif
}

/* Connects to the supervisor's backstop socket. This must happen before the filter exists:
 * the filter notifies connect(), and the supervisor cannot answer for a listener it has not
 * received yet. */
static int connect_to_supervisor(const char *socket_path) {
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    if (strlen(socket_path) >= sizeof address.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(address.sun_path, socket_path);
    int connection = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (connection >= 0 && connect(connection, (struct sockaddr *)&address, sizeof address) != 0) {
        close(connection);
        return -1;
    }
    return connection;
}

/* Sends the listener to the supervisor and waits for its acknowledgement, so that the
 * supervisor serves the listener before the program's first notified call. */
static int hand_over(int connection, int listener) {
    char byte = 'f';
    struct iovec vector = {&byte, 1};
    union {
        char buffer[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    memset(&control, 0, sizeof control);
    struct msghdr message = {.msg_iov = &vector, .msg_iovlen = 1, .msg_control = control.buffer,
                             .msg_controllen = sizeof control.buffer};
    struct cmsghdr *header = CMSG_FIRSTHDR(&message);
    header->cmsg_level = SOL_SOCKET;
    header->cmsg_type = SCM_RIGHTS;
    header->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(header), &listener, sizeof(int));
    return sendmsg(connection, &message, 0) == 1 && read(connection, &byte, 1) == 1 ? 0 : -1;
}

int afw_backstop_arm(void) {
    const char *socket_path = afw_env_saved(AFW_ENV_BACKSTOP);
    if (socket_path == NULL || socket_path[0] == '\0') {
        return 1; /* --no-backstop: nothing to arm (the exec is flagged as uncovered) */
    }
    int connection = connect_to_supervisor(socket_path);
    if (connection < 0) {
        return -1;
    }
    int listener = install_filter();
    int status = listener >= 0 ? hand_over(connection, listener) : -1;
    if (listener >= 0) {
        close(listener);
    }
    close(connection);
    return status;
}
