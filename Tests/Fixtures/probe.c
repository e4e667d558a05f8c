/*
 * probe: a C program that makes one protected call through a chosen libc entry point and
 * prints "ok" or "errno=N". The integration tests run it under the firewall to show that
 * each entry point is covered, not only the ones Python or coreutils happen to use.
 *
 *   probe open PATH | openat PATH | fopen PATH | creat PATH | syscall-openat PATH
 *   probe execve PATH [ARG...] | execvp NAME [ARG...] | spawnp NAME [ARG...] | system CMD
 *   probe connect ADDRESS PORT | syscall-connect ADDRESS PORT
 *   probe open-under-signals PATH COUNT   (COUNT opens while a 100 us timer interrupts them)
 *   probe sendto ADDRESS PORT | sendmsg ADDRESS PORT   (one UDP datagram "leak" to the address)
 *   probe symlink-race SECRET HARMLESS N   (opens "race-link" N times while a thread keeps
 *                                  pointing it at SECRET and HARMLESS; prints how often the
 *                                  secret's bytes were read)
 *   probe dir-race SECRET N   (the same with a directory: "race-dir" is swapped, atomically,
 *                                  between a real directory and a symlink to one whose
 *                                  "notes" points at SECRET, while race-dir/notes is opened)
 * x86_64 only, a `syscall` instruction of the probe's own, which no libc hook sees:
 *   probe asm-openat PATH | asm-connect ADDRESS PORT | asm-sendto ADDRESS PORT | asm-sendmsg ADDRESS PORT
 *   probe vfork-asm-openat PATH   (the open made by a vfork child)
 *   probe gadget-openat PATH      (from a page at the shim's gadget address: the attack that
 *                                  only --paranoid stops)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int report(int failed) {
    if (failed) printf("errno=%d\n", errno); else printf("ok\n");
    fflush(stdout);
    return 0;
}

#if defined(__x86_64__)
/* A system call made by an instruction in this program: no libc function, no hook. */
static long raw_syscall(long number, long a, long b, long c, long d, long e, long f) {
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    register long r9 __asm__("r9") = f;
    long result;
    __asm__ volatile("syscall"
                     : "=a"(result)
                     : "a"(number), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    if (result < 0 && result > -4096) {
        errno = (int)-result;
        return -1;
    }
    return result;
}

#define GADGET_ADDRESS 0xaf100000000UL /* AFW_GADGET_ADDRESS in agentfirewall_abi.h */

/* Calls `syscall; ret` at the shim's gadget address: the shim's page when it mapped one
 * (standard mode), otherwise a copy placed there by this program. */
static long gadget_syscall(long number, long a, long b, long c) {
    static const unsigned char code[] = {0x48, 0x89, 0xf8, 0x48, 0x89, 0xf7, 0x48, 0x89, 0xd6, 0x48, 0x89, 0xca,
                                         0x0f, 0x05, 0xc3}; /* rax=rdi rdi=rsi rsi=rdx rdx=rcx; syscall; ret */
    void *page = mmap((void *)GADGET_ADDRESS, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (page == (void *)GADGET_ADDRESS) {
        memcpy(page, code, sizeof code);
    }
    long result = ((long (*)(long, long, long, long))GADGET_ADDRESS)(number, a, b, c);
    if (result < 0 && result > -4096) {
        errno = (int)-result;
        return -1;
    }
    return result;
}
#endif

static socklen_t socket_address(const char *address, const char *port, struct sockaddr_storage *storage, int *family) {
    memset(storage, 0, sizeof *storage);
    if (strchr(address, ':')) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)storage;
        v6->sin6_family = *family = AF_INET6;
        v6->sin6_port = htons((uint16_t)atoi(port));
        inet_pton(AF_INET6, address, &v6->sin6_addr);
        return sizeof *v6;
    }
    struct sockaddr_in *v4 = (struct sockaddr_in *)storage;
    v4->sin_family = *family = AF_INET;
    v4->sin_port = htons((uint16_t)atoi(port));
    inet_pton(AF_INET, address, &v4->sin_addr);
    return sizeof *v4;
}

/* how: 0 sendto(), 1 sendmsg(), 2 a raw sendto, 3 a raw sendmsg. */
static int send_datagram(const char *address, const char *port, int how) {
    struct sockaddr_storage storage;
    int family;
    socklen_t length = socket_address(address, port, &storage, &family);
    int fd = socket(family, SOCK_DGRAM, 0);
    char payload[] = "leak";
    struct iovec vector = {payload, 4};
    struct msghdr message = {.msg_name = &storage, .msg_namelen = length, .msg_iov = &vector, .msg_iovlen = 1};
    long result;
    switch (how) {
    case 0: result = sendto(fd, payload, 4, 0, (struct sockaddr *)&storage, length); break;
    case 1: result = sendmsg(fd, &message, 0); break;
#if defined(__x86_64__)
    case 2: result = raw_syscall(SYS_sendto, fd, (long)payload, 4, 0, (long)&storage, length); break;
    case 3: result = raw_syscall(SYS_sendmsg, fd, (long)&message, 0, 0, 0, 0); break;
#endif
    default: errno = ENOSYS; result = -1;
    }
    return report(result < 0);
}

static int connect_to(const char *address, const char *port, int raw) {
    struct sockaddr_storage storage;
    int family;
    socklen_t length = socket_address(address, port, &storage, &family);
    if (strchr(address, ':')) {
        struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&storage;
        v6->sin6_family = family = AF_INET6;
        v6->sin6_port = htons((uint16_t)atoi(port));
        inet_pton(AF_INET6, address, &v6->sin6_addr);
        length = sizeof *v6;
    } else {
        struct sockaddr_in *v4 = (struct sockaddr_in *)&storage;
        v4->sin_family = family = AF_INET;
        v4->sin_port = htons((uint16_t)atoi(port));
        inet_pton(AF_INET, address, &v4->sin_addr);
        length = sizeof *v4;
    }
    int fd = socket(family, SOCK_STREAM, 0);
    long result;
    switch (raw) {
    case 0: result = connect(fd, (struct sockaddr *)&storage, length); break;
    case 1: result = syscall(SYS_connect, fd, &storage, length); break;
#if defined(__x86_64__)
    case 2: result = raw_syscall(SYS_connect, fd, (long)&storage, length, 0, 0, 0); break;
#endif
    default: errno = ENOSYS; result = -1;
    }
    return report(result != 0);
}

/* The check-then-use race: the firewall resolves "race-link" and decides, then the kernel
 * resolves it again. This thread repoints it as fast as it can (atomically, by renaming a
 * fresh symlink over it) so that some opens are decided on one target and made on the other. */
static const char *race_targets[2];
static volatile int race_done;

/* Opens `path` `count` times while `attacker` runs, and prints how often the secret's bytes
 * ("API_KEY...") came back. */
static int race(void *(*attacker)(void *), const char *path, int count) {
    char content[64] = {0};
    pthread_t thread;
    pthread_create(&thread, NULL, attacker, NULL);
    int leaks = 0, opened = 0;
    for (int i = 0; i < count; i++) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) continue;
        opened++;
        ssize_t length = read(fd, content, sizeof content - 1);
        close(fd);
        if (length > 0 && strncmp(content, "API_KEY", 7) == 0) leaks++;
    }
    race_done = 1;
    pthread_join(thread, NULL);
    printf("opened=%s leaks=%d\n", opened > 0 ? "some" : "none", leaks);
    return 0;
}

static void *repoint(void *unused) {
    (void)unused;
    for (unsigned i = 0; !race_done; i++) {
        unlink("race-next");
        if (symlink(race_targets[i & 1], "race-next") == 0) rename("race-next", "race-link");
    }
    return NULL;
}

static int symlink_race(const char *secret, const char *harmless, int count) {
    race_targets[0] = harmless;
    race_targets[1] = secret;
    unlink("race-link");
    if (symlink(harmless, "race-link") != 0) return report(1);
    return race(repoint, "race-link", count);
}

static void *swap_directories(void *unused) {
    (void)unused;
    while (!race_done) syscall(SYS_renameat2, AT_FDCWD, "race-dir", AT_FDCWD, "race-alt", 2 /* RENAME_EXCHANGE */);
    return NULL;
}

static int directory_race(const char *secret, int count) {
    char absolute[4096];
    if (realpath(secret, absolute) == NULL) return report(1);
    mkdir("race-dir", 0700);
    int fd = open("race-dir/notes", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "harmless\n", 9) != 9) return report(1);
    close(fd);
    mkdir("race-evil", 0700);
    symlink(absolute, "race-evil/notes");
    symlink("race-evil", "race-alt");
    return race(swap_directories, "race-dir/notes", count);
}

static volatile sig_atomic_t ticks;
static void tick(int number) { (void)number; ticks++; }

/* Go's runtime and shells take signals all the time (preemption, SIGCHLD); a call paused for
 * the supervisor must neither fail with EINTR nor hang because of them. SA_RESTART, as Go
 * and most handlers install theirs. */
static int open_under_signals(const char *path, int count) {
    struct sigaction action = {.sa_handler = tick, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &action, NULL);
    struct itimerval timer = {{0, 100}, {0, 100}};
    setitimer(ITIMER_REAL, &timer, NULL);
    for (int i = 0; i < count; i++) {
        int fd = open(path, O_RDONLY);
        if (fd < 0) return report(1);
        close(fd);
    }
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    return report(0);
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: probe MODE ARG...\n"); return 2; }
    const char *mode = argv[1], *arg = argv[2];
    if (!strcmp(mode, "open")) return report(open(arg, O_RDONLY) < 0);
    if (!strcmp(mode, "openat")) return report(openat(AT_FDCWD, arg, O_RDONLY) < 0);
    if (!strcmp(mode, "fopen")) return report(fopen(arg, "r") == NULL);
    if (!strcmp(mode, "creat")) return report(creat(arg, 0666) < 0);
    if (!strcmp(mode, "syscall-openat")) return report(syscall(SYS_openat, AT_FDCWD, arg, O_RDONLY, 0) < 0);
    if (!strcmp(mode, "execve")) { execve(arg, argv + 2, environ); return report(1); }
    if (!strcmp(mode, "execvp")) { execvp(arg, argv + 2); return report(1); }
    if (!strcmp(mode, "spawnp")) {
        pid_t child;
        int error = posix_spawnp(&child, arg, NULL, NULL, argv + 2, environ);
        if (error) { errno = error; return report(1); }
        int status;
        waitpid(child, &status, 0);
        return report(0);
    }
    if (!strcmp(mode, "system")) {
        int status = system(arg);
        printf("status=%d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        return 0;
    }
    if (!strcmp(mode, "open-under-signals") && argc > 3) return open_under_signals(arg, atoi(argv[3]));
    if (!strcmp(mode, "connect") && argc > 3) return connect_to(arg, argv[3], 0);
    if (!strcmp(mode, "syscall-connect") && argc > 3) return connect_to(arg, argv[3], 1);
    if (!strcmp(mode, "dir-race") && argc > 3) return directory_race(arg, atoi(argv[3]));
    if (!strcmp(mode, "symlink-race") && argc > 4) return symlink_race(arg, argv[3], atoi(argv[4]));
    if (!strcmp(mode, "sendto") && argc > 3) return send_datagram(arg, argv[3], 0);
    if (!strcmp(mode, "sendmsg") && argc > 3) return send_datagram(arg, argv[3], 1);
#if defined(__x86_64__)
    if (!strcmp(mode, "asm-openat")) return report(raw_syscall(SYS_openat, AT_FDCWD, (long)arg, O_RDONLY, 0, 0, 0) < 0);
    if (!strcmp(mode, "asm-connect") && argc > 3) return connect_to(arg, argv[3], 2);
    if (!strcmp(mode, "asm-sendto") && argc > 3) return send_datagram(arg, argv[3], 2);
    if (!strcmp(mode, "asm-sendmsg") && argc > 3) return send_datagram(arg, argv[3], 3);
    if (!strcmp(mode, "gadget-openat")) return report(gadget_syscall(SYS_openat, AT_FDCWD, (long)arg, O_RDONLY) < 0);
    if (!strcmp(mode, "vfork-asm-openat")) {
        /* The child shares our memory until it exits: it leaves the open's errno in `failed`. */
        static volatile int failed;
        pid_t child = vfork();
        if (child == 0) {
            failed = raw_syscall(SYS_openat, AT_FDCWD, (long)arg, O_RDONLY, 0, 0, 0) < 0 ? errno : 0;
            _exit(0);
        }
        int status;
        waitpid(child, &status, 0);
        errno = failed;
        return report(failed != 0);
    }
#endif
    fprintf(stderr, "probe: unknown mode %s\n", mode);
    return 2;
}
