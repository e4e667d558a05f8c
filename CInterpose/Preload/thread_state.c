/*
 * thread_state.c: see thread_state.h. The keys are created by the first hook that runs
 * (usually our constructor, before the program has threads).
 */
#include <pthread.h>
#include <sched.h>

#include "thread_state.h"

enum keys_progress {
    KEYS_MISSING = 0,
    KEYS_CREATING = 1,
    KEYS_READY = 2,
    KEYS_FAILED = 3,
};
static int progress;
static pthread_key_t keys[AFW_THREAD_WORDS];
/* Stands in for the guard when no key exists: process-wide, which is coarse, but only keeps
 * our own calls from recursing while the shim (then BROKEN) denies everything. */
static uintptr_t fallback_guard;

static int ensure_keys(void) {
    for (;;) {
        int seen = __atomic_load_n(&progress, __ATOMIC_ACQUIRE);
        if (seen == KEYS_READY || seen == KEYS_FAILED) {
            return seen;
        }
        if (seen == KEYS_MISSING &&
            __atomic_compare_exchange_n(&progress, &seen, KEYS_CREATING, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_ACQUIRE)) {
            int outcome = KEYS_READY;
            for (int i = 0; i < AFW_THREAD_WORDS; i++) {
                if (pthread_key_create(&keys[i], NULL) != 0) {
                    outcome = KEYS_FAILED;
                    break;
                }
            }
            __atomic_store_n(&progress, outcome, __ATOMIC_RELEASE);
            return outcome;
        }
        sched_yield();
    }
}

uintptr_t afw_thread_get(enum afw_thread_word word) {
    if (ensure_keys() != KEYS_READY) {
        return word == AFW_THREAD_GUARD ? __atomic_load_n(&fallback_guard, __ATOMIC_RELAXED) : 0;
    }
    return (uintptr_t)pthread_getspecific(keys[word]);
}

void afw_thread_set(enum afw_thread_word word, uintptr_t value) {
    if (ensure_keys() != KEYS_READY) {
        if (word == AFW_THREAD_GUARD) {
            __atomic_store_n(&fallback_guard, value, __ATOMIC_RELAXED);
        }
        return;
    }
    pthread_setspecific(keys[word], (void *)value);
}

bool afw_thread_state_usable(void) {
    return ensure_keys() == KEYS_READY;
}

void afw_thread_state_after_fork(void) {
    if (__atomic_load_n(&progress, __ATOMIC_ACQUIRE) == KEYS_CREATING) {
        __atomic_store_n(&progress, KEYS_MISSING, __ATOMIC_RELEASE);
    }
    if (afw_thread_state_usable()) {
        pthread_setspecific(keys[AFW_THREAD_ID], NULL);
    }
}
