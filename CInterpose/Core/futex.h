/*
 * futex.h: the two futex operations the rings need, internal to the core.
 *
 * The segment is mapped by the supervisor and by every agent process, each at its own
 * address, so the words are SHARED futexes (keyed by the backing page, not by the address
 * in one process); FUTEX_PRIVATE_FLAG would make a wake in one process miss a waiter in
 * another. Every wait is bounded: callers re-check liveness between waits and never sleep
 * on a peer that may have died.
 */
#ifndef AFW_FUTEX_H
#define AFW_FUTEX_H

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleeps while *word == expected, at most timeout_ms. Returns when woken, when the word
 * already differs (EAGAIN), on a signal (EINTR) or on timeout: callers re-read the word in
 * every case, so the reason does not matter and errno is left as the caller had it. */
static inline void afw_futex_wait(uint32_t *word, uint32_t expected, int timeout_ms) {
    struct timespec timeout = {
        .tv_sec = timeout_ms / 1000,
        .tv_nsec = (long)(timeout_ms % 1000) * 1000000L,
    };
    int saved_errno = errno;
    syscall(SYS_futex, word, FUTEX_WAIT, expected, &timeout, NULL, 0);
    errno = saved_errno;
}

/* Wakes every waiter on word: one slot or doorbell can have several sleepers (a vfork
 * parent and child, or a supervisor thread and its shutdown path). */
static inline void afw_futex_wake_all(uint32_t *word) {
    int saved_errno = errno;
    syscall(SYS_futex, word, FUTEX_WAKE, INT_MAX, NULL, NULL, 0);
    errno = saved_errno;
}

#endif
