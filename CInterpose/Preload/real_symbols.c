/*
 * real_symbols.c: resolves each real symbol once and caches it atomically. No lock: two
 * threads that race both call dlsym and store the same pointer.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>

#include "real_symbols.h"
#include "thread_state.h"

static const char *const symbol_names[AFW_REAL_COUNT] = {
#define AFW_REAL_NAME(name) #name,
    AFW_REAL_SYMBOL_LIST(AFW_REAL_NAME)
#undef AFW_REAL_NAME
};

static void *symbols[AFW_REAL_COUNT];

void *afw_real_symbol(enum afw_real_id id) {
    void *symbol = __atomic_load_n(&symbols[id], __ATOMIC_ACQUIRE);
    /* A hook reached from inside dlsym must not call dlsym again: it would recurse
     * without end. */
    if (symbol != NULL || afw_thread_get(AFW_THREAD_RESOLVING) != 0) {
        return symbol;
    }
    afw_thread_set(AFW_THREAD_RESOLVING, 1);
    symbol = dlsym(RTLD_NEXT, symbol_names[id]);
    afw_thread_set(AFW_THREAD_RESOLVING, 0);
    __atomic_store_n(&symbols[id], symbol, __ATOMIC_RELEASE);
    return symbol;
}

/* glibc exports __open64 for its own use; no hook covers it, so it reaches the kernel. */
extern int __open64(const char *path, int flags, ...);

int afw_open_while_resolving(int dirfd, const char *path, int flags, mode_t mode) {
    if (path != NULL && (path[0] == '/' || dirfd == AT_FDCWD)) {
        return __open64(path, flags, mode);
    }
    errno = ENOSYS;
    return -1;
}
