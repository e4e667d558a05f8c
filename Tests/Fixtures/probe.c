/*
 * probe: a C program that makes one protected call through a chosen libc entry point and
 * prints "ok" or "errno=N". The integration tests run it under the firewall to show that
 * each entry point is covered, not only the ones Python or coreutils happen to use.
 *
 *   probe open PATH | openat PATH | fopen PATH | creat PATH | syscall-openat PATH
 *   probe execve PATH [ARG...] | execvp NAME [ARG...] | spawnp NAME [ARG...] | system CMD
 *   probe connect ADDRESS PORT | syscall-connect ADDRESS PORT
 *   probe open-under-signals PATH COUNT   (COUNT opens while a 100 us timer interrupts them)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static int report(int failed) {
    if (failed) printf("errno=%d\n", errno); else printf("ok\n");
    fflush(stdout);
    return 0;
}

static int connect_to(const char *address, const char *port, int raw) {
    struct sockaddr_storage storage = {0};
    socklen_t length;
    int family;
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
    int result = raw ? (int)syscall(SYS_connect, fd, &storage, length) : connect(fd, (struct sockaddr *)&storage, length);
    return report(result != 0);
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
    if (!strcmp(mode, "creat")) return report(creat(arg, 0600) < 0);
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
    fprintf(stderr, "probe: unknown mode %s\n", mode);
    return 2;
}
