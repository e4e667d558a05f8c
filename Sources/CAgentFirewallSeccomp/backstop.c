/*
 * backstop.c: serving the seccomp user notifications of the backstop's filter
 * (afw_notify_filter.h): every covered call the shim did not make itself.
 * Arguments are read from /proc/PID/mem, then SECCOMP_IOCTL_NOTIF_ID_VALID confirms the
 * notification is still live: if the target died or was interrupted meanwhile, its pid may
 * already name another process, and what we read must not be trusted.
 */
#include "afw_backstop.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <netinet/in.h>
#include <stdio.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "afw_core.h"

/* Reads a NUL-terminated string at `address` in the target. */
static bool read_string(int memory, uint64_t address, char *out, size_t size)
{
    if (address == 0)
        return false;
    ssize_t got = pread(memory, out, size - 1, (off_t)address);
    if (got <= 0)
        return false;
    out[got] = '\0';
    return memchr(out, '\0', (size_t)got) != NULL || (size_t)got < size - 1;
}

/* The directory a relative path starts from: the target's cwd or its dirfd. */
static bool base_directory(int32_t pid, int dirfd, char *out, size_t size)
{
    char link[64];
    if (dirfd == AT_FDCWD)
        snprintf(link, sizeof link, "/proc/%d/cwd", pid);
    else
        snprintf(link, sizeof link, "/proc/%d/fd/%d", pid, dirfd);
    ssize_t length = readlink(link, out, size - 1);
    if (length <= 0)
        return false;
    out[length] = '\0';
    return true;
}

/* /proc/self and /proc/thread-self name the supervisor when the supervisor resolves them:
 * rewrite them to the target's own /proc entry (its thread id, which /proc also serves). */
static bool target_proc_path(int32_t pid, const char *absolute, char *out, size_t size)
{
    static const char *const own_names[] = {"/proc/self", "/proc/thread-self"};
    for (size_t i = 0; i < sizeof own_names / sizeof own_names[0]; i++) {
        size_t length = strlen(own_names[i]);
        if (strncmp(absolute, own_names[i], length) == 0 && (absolute[length] == '/' || absolute[length] == '\0')) {
            int written = snprintf(out, size, "/proc/%d%s", pid, absolute + length);
            return written > 0 && (size_t)written < size;
        }
    }
    size_t length = strlen(absolute);
    if (length >= size)
        return false;
    memcpy(out, absolute, length + 1);
    return true;
}

static bool absolute_path(int32_t pid, int dirfd, const char *path, char *out, size_t size)
{
    char base[PATH_MAX] = "/";
    char lexical[PATH_MAX];
    if (path[0] != '/' && !base_directory(pid, dirfd, base, sizeof base))
        return false;
    return afw_path_lexical(base, path, lexical, sizeof lexical) == AFW_OK &&
           target_proc_path(pid, lexical, out, size);
}

static int read_file_call(int memory, const struct seccomp_notif *request, struct afw_backstop_call *call)
{
    const __u64 *args = request->data.args;
    int dirfd = AT_FDCWD;
    uint64_t path_address;
    int flags;
    switch (request->data.nr) {
    case SYS_open: path_address = args[0]; flags = (int)args[1]; call->open_mode = (uint32_t)args[2]; strcpy(call->op, "open"); break;
    case SYS_creat: path_address = args[0]; flags = O_CREAT | O_WRONLY | O_TRUNC; call->open_mode = (uint32_t)args[1]; strcpy(call->op, "creat"); break;
    case SYS_openat: dirfd = (int)args[0]; path_address = args[1]; flags = (int)args[2]; call->open_mode = (uint32_t)args[3]; strcpy(call->op, "openat"); break;
    default: { /* openat2: flags and mode are the first fields of struct open_how */
        uint64_t how[2] = {0, 0};
        if (args[3] < sizeof how || pread(memory, how, sizeof how, (off_t)args[2]) != sizeof how)
            return -EFAULT;
        dirfd = (int)args[0];
        path_address = args[1];
        flags = (int)how[0];
        call->open_mode = (uint32_t)how[1];
        strcpy(call->op, "openat2");
    }
    }
    call->open_flags = flags;
    char path[PATH_MAX];
    if (!read_string(memory, path_address, path, sizeof path) ||
        !absolute_path(request->pid, dirfd, path, call->requested, sizeof call->requested))
        return -EFAULT;
    bool follow_last = !(flags & O_NOFOLLOW) && !((flags & O_CREAT) && (flags & O_EXCL));
    bool exists;
    if (afw_path_resolve_plain(call->requested, follow_last, call->path, sizeof call->path, &exists) != AFW_OK &&
        afw_path_resolve(call->requested, follow_last, call->path, sizeof call->path) != AFW_OK)
        strcpy(call->path, call->requested);
    bool creates = (flags & O_CREAT) && access(call->path, F_OK) != 0 && errno == ENOENT;
    call->access = afw_access_for_open(flags, creates);
    call->kind = AFW_BACKSTOP_FILE;
    return 0;
}

/* Reads the path at `path_address` relative to dirfd into its requested and resolved forms. */
static int read_path(int memory, int32_t pid, int dirfd, uint64_t path_address, bool follow_last, char *requested,
                     char *resolved)
{
    char path[PATH_MAX];
    if (!read_string(memory, path_address, path, sizeof path) || !absolute_path(pid, dirfd, path, requested, PATH_MAX))
        return -EFAULT;
    bool exists;
    if (afw_path_resolve_plain(requested, follow_last, resolved, PATH_MAX, &exists) != AFW_OK &&
        afw_path_resolve(requested, follow_last, resolved, PATH_MAX) != AFW_OK)
        strcpy(resolved, requested);
    return 0;
}

/* rename(old, new), renameat(olddirfd, old, newdirfd, new), renameat2(..., flags),
 * link(old, new), linkat(olddirfd, old, newdirfd, new, flags). */
static int read_new_name_call(int memory, const struct seccomp_notif *request, struct afw_backstop_call *call)
{
    const __u64 *args = request->data.args;
    int old_dirfd = AT_FDCWD, new_dirfd = AT_FDCWD;
    uint64_t old_address, new_address;
    bool follow_old = false;
    switch (request->data.nr) {
#ifdef SYS_rename
    case SYS_rename: old_address = args[0]; new_address = args[1]; strcpy(call->op, "rename"); break;
#endif
#ifdef SYS_link
    case SYS_link: old_address = args[0]; new_address = args[1]; strcpy(call->op, "link"); break;
#endif
    case SYS_linkat:
        follow_old = (args[4] & (AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) != 0;
        /* fallthrough: the same four path arguments */
    default:
        old_dirfd = (int)args[0];
        old_address = args[1];
        new_dirfd = (int)args[2];
        new_address = args[3];
        strcpy(call->op, request->data.nr == SYS_linkat ? "linkat" : request->data.nr == SYS_renameat ? "renameat" : "renameat2");
        call->exchange = request->data.nr == SYS_renameat2 && (args[4] & RENAME_EXCHANGE);
    }
    char first[2] = "";
    if (request->data.nr == SYS_linkat && (args[4] & AT_EMPTY_PATH) && pread(memory, first, 1, (off_t)old_address) == 1 &&
        first[0] == '\0') {
        /* linkat(fd, "", ..., AT_EMPTY_PATH): the descriptor's file gets the new name. */
        snprintf(call->requested, sizeof call->requested, "/proc/%d/fd/%d", request->pid, old_dirfd);
        if (afw_path_resolve(call->requested, true, call->path, sizeof call->path) != AFW_OK)
            return -EFAULT;
    } else {
        int status = read_path(memory, request->pid, old_dirfd, old_address, follow_old, call->requested, call->path);
        if (status != 0)
            return status;
    }
    int status = read_path(memory, request->pid, new_dirfd, new_address, false, call->new_requested, call->new_path);
    if (status != 0)
        return status;
    struct stat existing;
    call->new_exists = lstat(call->new_path, &existing) == 0;
    call->kind = AFW_BACKSTOP_NEW_NAME;
    return 0;
}

/* unlink(path), rmdir(path), unlinkat(dirfd, path, flags), truncate(path, length): the name
 * itself for the first three (a symlink is removed, not followed), the file for truncate. */
static int read_change_call(int memory, const struct seccomp_notif *request, struct afw_backstop_call *call)
{
    const __u64 *args = request->data.args;
    bool at = request->data.nr == SYS_unlinkat;
    bool follow = request->data.nr == SYS_truncate;
    const char *op = at ? "unlinkat" : follow ? "truncate" : "unlink";
#ifdef SYS_rmdir
    if (request->data.nr == SYS_rmdir)
        op = "rmdir";
#endif
    strcpy(call->op, op);
    int status = read_path(memory, request->pid, at ? (int)args[0] : AT_FDCWD, at ? args[1] : args[0], follow,
                           call->requested, call->path);
    if (status != 0)
        return status;
    call->access = AFW_ACCESS_WRITE;
    call->kind = AFW_BACKSTOP_CHANGE;
    return 0;
}

static int read_exec_call(int memory, const struct seccomp_notif *request, struct afw_backstop_call *call)
{
    const __u64 *args = request->data.args;
    bool at = request->data.nr == SYS_execveat;
    int dirfd = at ? (int)args[0] : AT_FDCWD;
    uint64_t path_address = at ? args[1] : args[0];
    uint64_t argv_address = at ? args[2] : args[1];
    strcpy(call->op, at ? "execveat" : "execve");
    char path[PATH_MAX];
    if (!read_string(memory, path_address, path, sizeof path))
        return -EFAULT;
    if (at && path[0] == '\0') {
        /* execveat(fd, "", AT_EMPTY_PATH): the descriptor is the program */
        char link[64];
        snprintf(link, sizeof link, "/proc/%d/fd/%d", request->pid, dirfd);
        ssize_t length = readlink(link, call->path, sizeof call->path - 1);
        if (length <= 0)
            return -EFAULT;
        call->path[length] = '\0';
    } else if (!absolute_path(request->pid, dirfd, path, call->path, sizeof call->path)) {
        return -EFAULT;
    }
    size_t used = 0;
    call->argc = 0;
    while (call->argc < AFW_BACKSTOP_MAX_ARGS && argv_address != 0) {
        uint64_t pointer;
        if (pread(memory, &pointer, sizeof pointer, (off_t)(argv_address + 8 * call->argc)) != sizeof pointer)
            return -EFAULT;
        if (pointer == 0 || used + 2 > sizeof call->argument_bytes)
            break;
        char *slot = call->argument_bytes + used;
        if (!read_string(memory, pointer, slot, sizeof call->argument_bytes - used))
            return -EFAULT;
        call->argv[call->argc++] = slot;
        used += strlen(slot) + 1;
    }
    /* As in the shim (check_exec.c): a program that is not there fails with ENOENT in the
     * kernel, and libc's execvp tries every PATH entry in turn; deciding each miss would
     * record (and maybe report) programs that do not exist. */
    bool missing = !(at && path[0] == '\0') && access(call->path, F_OK) != 0 && errno == ENOENT;
    call->kind = missing ? AFW_BACKSTOP_PASS : AFW_BACKSTOP_EXEC;
    return 0;
}

/* Fills the call's address from a socket address read out of the target. false for
 * families that are not the network surface (Unix, netlink...). */
static bool network_destination(const struct sockaddr_storage *address, size_t length, struct afw_backstop_call *call)
{
    return afw_socket_destination((const struct sockaddr *)address, length, &call->family, call->address, &call->port);
}

static int read_address(int memory, uint64_t pointer, uint64_t length, struct sockaddr_storage *address, size_t *read_length)
{
    memset(address, 0, sizeof *address);
    *read_length = length < sizeof *address ? (size_t)length : sizeof *address;
    if (*read_length < sizeof(sa_family_t) || pread(memory, address, *read_length, (off_t)pointer) != (ssize_t)*read_length)
        return -EFAULT;
    return 0;
}

static int read_connect_call(int memory, const struct seccomp_notif *request, struct afw_backstop_call *call)
{
    strcpy(call->op, "connect");
    struct sockaddr_storage address;
    size_t length;
    if (read_address(memory, request->data.args[1], request->data.args[2], &address, &length) != 0)
        return -EFAULT;
    call->kind = network_destination(&address, length, call) ? AFW_BACKSTOP_NETWORK : AFW_BACKSTOP_PASS;
    return 0;
}

/* The most messages of one sendmmsg whose destinations are read; the kernel caps vlen at
 * UIO_MAXIOV (1024), and a call with more is refused rather than half checked. */
#define SENDMMSG_MAX 1024

/* sendto with a destination (the filter lets the others through), sendmsg and sendmmsg
 * with a msg_name. A message without a destination goes where its socket's connect, already
 * decided, said. One sendmmsg may name several destinations: the call is decided on the
 * first, and refused outright when another differs, since one answer covers the whole call. */
static int read_send_call(int memory, const struct seccomp_notif *request, struct afw_backstop_call *call)
{
    const __u64 *args = request->data.args;
    call->kind = AFW_BACKSTOP_PASS;
    struct sockaddr_storage address;
    size_t length;
    if (request->data.nr == SYS_sendto) {
        strcpy(call->op, "sendto");
        if (read_address(memory, args[4], args[5], &address, &length) != 0)
            return -EFAULT;
        if (network_destination(&address, length, call))
            call->kind = AFW_BACKSTOP_NETWORK;
        return 0;
    }
    bool many = request->data.nr == SYS_sendmmsg;
    strcpy(call->op, many ? "sendmmsg" : "sendmsg");
    uint64_t count = many ? args[2] : 1;
    if (count > SENDMMSG_MAX)
        return -EINVAL;
    for (uint64_t i = 0; i < count; i++) {
        struct msghdr message;
        off_t at = (off_t)(args[1] + i * (many ? sizeof(struct mmsghdr) : sizeof(struct msghdr)));
        if (pread(memory, &message, sizeof message, at) != (ssize_t)sizeof message)
            return -EFAULT;
        if (message.msg_name == NULL)
            continue;
        if (read_address(memory, (uint64_t)(uintptr_t)message.msg_name, message.msg_namelen, &address, &length) != 0)
            return -EFAULT;
        struct afw_backstop_call destination = {.kind = AFW_BACKSTOP_PASS};
        if (!network_destination(&address, length, &destination))
            continue;
        if (call->kind == AFW_BACKSTOP_PASS) {
            call->kind = AFW_BACKSTOP_NETWORK;
            call->family = destination.family;
            call->port = destination.port;
            memcpy(call->address, destination.address, sizeof call->address);
        } else if (destination.family != call->family || destination.port != call->port ||
                   memcmp(destination.address, call->address, sizeof call->address) != 0) {
            return -EACCES;
        }
    }
    return 0;
}

/* The parent pid: the field after the state letter, which follows the last ')' of
 * /proc/PID/stat (the command name before it may itself contain ')'). */
int32_t afw_backstop_parent_of(int32_t pid)
{
    char path[64], buffer[512];
    snprintf(path, sizeof path, "/proc/%d/stat", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t length = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    if (length <= 0)
        return 0;
    buffer[length] = '\0';
    const char *end_of_name = strrchr(buffer, ')');
    int parent = 0;
    if (end_of_name == NULL || sscanf(end_of_name + 1, " %*c %d", &parent) != 1)
        return 0;
    return parent;
}

static int read_call(int memory, const struct seccomp_notif *request, struct afw_backstop_call *call)
{
    switch (request->data.nr) {
    case SYS_open: case SYS_creat: case SYS_openat: case SYS_openat2:
        return read_file_call(memory, request, call);
    case SYS_execve: case SYS_execveat:
        return read_exec_call(memory, request, call);
    case SYS_connect:
        return read_connect_call(memory, request, call);
    case SYS_sendto: case SYS_sendmsg: case SYS_sendmmsg:
        return read_send_call(memory, request, call);
#ifdef SYS_rename
    case SYS_rename:
#endif
#ifdef SYS_link
    case SYS_link:
#endif
    case SYS_renameat: case SYS_renameat2: case SYS_linkat:
        return read_new_name_call(memory, request, call);
#ifdef SYS_unlink
    case SYS_unlink:
#endif
#ifdef SYS_rmdir
    case SYS_rmdir:
#endif
    case SYS_unlinkat: case SYS_truncate:
        return read_change_call(memory, request, call);
    default:
        /* Only the calls above are notified (notify_filter.c): a number here means the two
         * lists drifted apart, and a call nobody reads is refused, not let through. */
        return -EACCES;
    }
}

/* /proc/PID/mem of the last caller, kept open: a program's calls come in runs from one
 * thread, and opening /proc/PID/mem is a third of the supervisor's work per call. Only the
 * server thread calls afw_backstop_receive, so plain statics suffice. A kept descriptor
 * outlives its process's address space (after an exec, or an exit and a pid reused): reads
 * through it then fail, never return another program's memory, and the call is read again
 * through a fresh descriptor. */
static int kept_memory = -1;
static int32_t kept_memory_pid;

static int open_memory(int32_t pid)
{
    if (kept_memory >= 0)
        close(kept_memory);
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", pid);
    kept_memory = open(path, O_RDONLY | O_CLOEXEC);
    kept_memory_pid = pid;
    return kept_memory >= 0 ? 0 : -errno;
}

int afw_backstop_receive(int notify_fd, struct afw_backstop_call *call)
{
    struct seccomp_notif request;
    memset(&request, 0, sizeof request); /* the kernel insists on a zeroed buffer */
    if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_RECV, &request) != 0)
        return -errno;
    memset(call, 0, offsetof(struct afw_backstop_call, path));
    call->id = request.id;
    call->pid = (int32_t)request.pid;
    bool fresh = kept_memory < 0 || kept_memory_pid != call->pid;
    int status = fresh ? open_memory(call->pid) : 0;
    if (status == 0) {
        status = read_call(kept_memory, &request, call);
        if (status == -EFAULT && !fresh) {
            memset(call, 0, offsetof(struct afw_backstop_call, path));
            call->id = request.id;
            call->pid = (int32_t)request.pid;
            status = open_memory(call->pid);
            if (status == 0)
                status = read_call(kept_memory, &request, call);
        }
    }
    /* What we read is the target's only if the notification is still pending. */
    uint64_t id = request.id;
    if (ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) != 0)
        return -ENOENT;
    if (status != 0) {
        /* Arguments that cannot be read (a bad pointer, a path too long, /proc/PID/mem
         * refused) or that cannot be decided with one answer: refuse rather than guess. A bad
         * pointer or count gets the error the kernel would have given. */
        afw_backstop_respond(notify_fd, request.id, false, status == -EFAULT || status == -EINVAL ? -status : EACCES);
        return -ENOENT;
    }
    return 0;
}

int afw_backstop_respond(int notify_fd, uint64_t id, bool allow, int error)
{
    struct seccomp_notif_resp response;
    memset(&response, 0, sizeof response);
    response.id = id;
    if (allow)
        response.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    else
        response.error = -error;
    return ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_SEND, &response) == 0 ? 0 : -errno;
}

bool afw_backstop_still_waiting(int notify_fd, uint64_t id)
{
    return ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

/* The target's umask, from /proc/PID/status ("Umask:\t0022"); 022 when it cannot be read. */
static mode_t umask_of(int32_t pid)
{
    char path[64], status[4096];
    snprintf(path, sizeof path, "/proc/%d/status", pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    ssize_t length = fd >= 0 ? read(fd, status, sizeof status - 1) : -1;
    if (fd >= 0)
        close(fd);
    if (length <= 0)
        return 022;
    status[length] = '\0';
    const char *line = strstr(status, "\nUmask:");
    unsigned value;
    return line != NULL && sscanf(line + 7, " %o", &value) == 1 ? (mode_t)value : 022;
}

/* The supervisor's own ids, which never change: read once, before any thread exists (the
 * review threads call afw_backstop_open_for too). */
static uid_t own_uid;
static gid_t own_gid;

__attribute__((constructor)) static void read_own_ids(void)
{
    own_uid = geteuid();
    own_gid = getegid();
}

int afw_backstop_open_for(int notify_fd, const struct afw_backstop_call *call)
{
    /* Opened as the supervisor, so only for a target with the supervisor's own effective
     * ids (the owner of /proc/PID is the process's euid and egid): it gets no file its
     * own permissions would refuse. Paths through /proc name descriptors and processes,
     * which the supervisor cannot reopen as the target; anything but an absolute path (a
     * pipe's "pipe:[...]") is no file to open. */
    char process[64];
    snprintf(process, sizeof process, "/proc/%d", call->pid);
    struct stat owner;
    if (stat(process, &owner) != 0 || owner.st_uid != own_uid || owner.st_gid != own_gid ||
        call->path[0] != '/' || strncmp(call->requested, "/proc/", 6) == 0 || strncmp(call->path, "/proc/", 6) == 0)
        return 1;
    /* The decided path, with no symlink followed anywhere: it is already resolved, so a
     * symlink met now was put there since the decision. O_NONBLOCK: a FIFO swapped in
     * must not stall the supervisor waiting for a writer; O_NOCTTY: a terminal must not
     * become the supervisor's controlling terminal. */
    struct open_how how = {
        .flags = (uint64_t)(call->open_flags | O_CLOEXEC | O_NONBLOCK | O_NOCTTY),
        .mode = (call->open_flags & O_CREAT) || (call->open_flags & O_TMPFILE) == O_TMPFILE ? call->open_mode & 07777 : 0,
        .resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
    };
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, call->path, &how, sizeof how);
    if (fd < 0) {
        if (errno == ENOSYS || errno == E2BIG)
            return 1; /* no openat2 (before 5.6): check-then-continue */
        /* Answers that come from our O_NONBLOCK, not from the file: a FIFO opened for writing
         * with no reader yet (the caller's own open would wait for one) and a file under a
         * lease. The caller's own open decides those. */
        if (errno == ENXIO || errno == EWOULDBLOCK)
            return 1;
        /* ELOOP: a symlink was swapped in after the decision; refused. Any other error is
         * the one the target's own open would have met. */
        return afw_backstop_respond(notify_fd, call->id, false, errno == ELOOP ? EACCES : errno);
    }
    struct stat opened;
    if (fstat(fd, &opened) != 0 || !(S_ISREG(opened.st_mode) || S_ISDIR(opened.st_mode))) {
        close(fd);
        return 1; /* a device or FIFO: opening it has effects of its own; no file content to guard */
    }
    /* F_SETFL sets only the status flags (O_APPEND, O_NONBLOCK, O_DIRECT...): the caller's
     * own, which drops our O_NONBLOCK unless the caller asked for it. */
    if (!(call->open_flags & O_NONBLOCK))
        fcntl(fd, F_SETFL, call->open_flags);
    if (call->access & AFW_ACCESS_CREATE)
        fchmod(fd, (mode_t)(call->open_mode & 07777) & ~umask_of(call->pid));
    struct seccomp_notif_addfd addfd = {
        .id = call->id,
        .flags = SECCOMP_ADDFD_FLAG_SEND,
        .srcfd = (uint32_t)fd,
        .newfd_flags = (uint32_t)(call->open_flags & O_CLOEXEC),
    };
    int installed = ioctl(notify_fd, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
    int error = errno;
    close(fd);
    if (installed >= 0 || error == ENOENT)
        return 0; /* answered, or the target is gone */
    /* ADDFD_FLAG_SEND needs 5.14; without it the call is answered the old way. */
    return error == EINVAL || error == EOPNOTSUPP ? 1 : -error;
}
