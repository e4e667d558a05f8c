/*
 * real_symbols.h: libc's own versions of the functions we hook, found with
 * dlsym(RTLD_NEXT) (so a preload library loaded after ours still sees the call). The calls
 * that are one system call (open, execve, connect...) are made with afw_direct_syscall.
 */
#ifndef AFW_REAL_SYMBOLS_H
#define AFW_REAL_SYMBOLS_H

#include "shim.h"

#define AFW_REAL_SYMBOL_LIST(X) \
    X(fopen) X(fopen64) X(freopen) X(freopen64) X(posix_spawn) X(posix_spawnp) \
    X(posix_spawn_file_actions_addopen) X(system) X(popen) X(syscall) \
    X(getaddrinfo) X(gethostbyname) X(gethostbyname2) X(gethostbyname_r) X(gethostbyname2_r)

enum afw_real_id {
#define AFW_REAL_ID(name) AFW_REAL_ID_##name,
    AFW_REAL_SYMBOL_LIST(AFW_REAL_ID)
#undef AFW_REAL_ID
    AFW_REAL_COUNT
};

/* The real function, or NULL while this thread is inside dlsym itself (dlsym may open
 * files; see afw_open_while_resolving) or when libc lacks it. */
void *afw_real_symbol(enum afw_real_id id) AFW_HIDDEN;
#define AFW_REAL(name) ((__typeof__(&name))afw_real_symbol(AFW_REAL_ID_##name))

/* The open a hook falls back to while dlsym runs on this thread: libc's __open64, which no
 * hook covers. Enough for what a dynamic loader opens (absolute paths); anything else
 * fails with ENOSYS. */
int afw_open_while_resolving(int dirfd, const char *path, int flags, mode_t mode) AFW_HIDDEN;

#endif
