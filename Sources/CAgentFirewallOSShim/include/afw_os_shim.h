/*
 * afw_os_shim.h: the few things the Swift side of the supervisor cannot reach directly.
 * Every name is prefixed afw_os_ and each function says why it exists; when Swift's Glibc
 * module starts importing the macro behind one of them, the function can go.
 */
#ifndef AFW_OS_SHIM_H
#define AFW_OS_SHIM_H

#include <stdbool.h>
#include <stdint.h>

/* The <sys/wait.h> status macros (WEXITSTATUS, WIFSIGNALED, WTERMSIG) are
 * function-like macros, which Swift does not import; decoding the status word by hand would
 * bake glibc's bit layout into Swift code. */
int afw_os_wait_exit_status(int status);
bool afw_os_wait_signaled(int status);
int afw_os_wait_term_signal(int status);

/* Accepts a connection as close-on-exec and non-blocking in one call (accept4: a thread
 * spawning the agent meanwhile must not hand it the descriptor) and reads who connected
 * (SO_PEERCRED). The descriptor, or -errno. */
int afw_os_accept_peer(int listener, int32_t *pid, uint32_t *uid);

#endif
