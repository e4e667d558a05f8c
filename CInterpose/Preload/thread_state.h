/*
 * thread_state.h: the shim's per-thread words (the re-entrancy guard, the dlsym flag, the
 * cached thread id).
 *
 * Kept in pthread keys rather than __thread variables: with initial-exec TLS, gold (the
 * linker SwiftPM uses) puts a dynamic symbol for each variable into the library's export
 * table, and local-dynamic TLS makes the library import __tls_get_addr from ld-linux; the
 * library must export only its hooks and need only libc. A key below 32 lives inside the
 * thread descriptor, so reading or writing it is a few loads and stores, with no lock and
 * no allocation, also in a vfork child.
 */
#ifndef AFW_THREAD_STATE_H
#define AFW_THREAD_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "shim.h"

enum afw_thread_word {
    AFW_THREAD_GUARD = 0,     /* depth of shim code on this thread's stack */
    AFW_THREAD_RESOLVING = 1, /* inside dlsym (real_symbols.c) */
    AFW_THREAD_ID = 2,        /* cached gettid(), 0 when unknown */
    AFW_THREAD_WORDS = 3,
};

uintptr_t afw_thread_get(enum afw_thread_word word) AFW_HIDDEN;
void afw_thread_set(enum afw_thread_word word, uintptr_t value) AFW_HIDDEN;
/* False when no key could be created; the shim then denies every covered call. */
bool afw_thread_state_usable(void) AFW_HIDDEN;
/* fork child: forget the parent thread's id and any key creation cut short by the fork. */
void afw_thread_state_after_fork(void) AFW_HIDDEN;

#endif
