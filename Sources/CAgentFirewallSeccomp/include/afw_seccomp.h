/*
 * afw_seccomp.h: libseccomp for the supervisor's backstop filter.
 * libseccomp's rule API is variadic (seccomp_rule_add) and its actions and comparisons are
 * function-like macros (SCMP_ACT_ERRNO, SCMP_A0), none of which Swift can call; these
 * functions are the few calls the supervisor makes, with plain arguments.
 * Linked into the supervisor only, never into the preload library: the agent's processes
 * must not depend on libseccomp, and the filter is the supervisor's to install.
 * Every function returns 0 or a negative errno, as libseccomp does.
 */
#ifndef AFW_SECCOMP_H
#define AFW_SECCOMP_H

#include <stdbool.h>
#include <stdint.h>

/* A filter being built: libseccomp's scmp_filter_ctx, opaque to Swift. */
typedef void *afw_seccomp_filter;

/* A filter whose default action is to allow, for the native architecture only, or NULL
 * when libseccomp cannot allocate one. */
afw_seccomp_filter afw_seccomp_filter_new(void);
void afw_seccomp_filter_release(afw_seccomp_filter filter);

/* Adds an architecture by libseccomp's name ("x86", "x32", "arm"), so that a process using
 * that architecture's system-call ABI meets the same rules instead of being killed. */
int afw_seccomp_filter_add_architecture(afw_seccomp_filter filter, const char *name);

/* Makes `syscall` (by name, resolved for every architecture of the filter) fail with
 * `errno_value`; with `conditional`, only when (argument[arg_index] & mask) == value. */
int afw_seccomp_filter_deny(afw_seccomp_filter filter, const char *syscall, int errno_value,
                            bool conditional, unsigned arg_index, uint64_t mask, uint64_t value);

/* Sets no_new_privs and installs the filter on the CALLING THREAD only (no TSYNC): every
 * process that thread creates afterwards inherits it, and no process can remove it. */
int afw_seccomp_filter_load(afw_seccomp_filter filter);

#endif
