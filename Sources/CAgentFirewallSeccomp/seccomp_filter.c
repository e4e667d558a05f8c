#include "afw_seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>

afw_seccomp_filter afw_seccomp_filter_new(void) {
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
    /* libseccomp 2.5 turns every kernel error into ECANCELED unless asked; the supervisor's
     * message must say what the kernel said (EINVAL: no seccomp filters in this kernel). */
    if (filter != NULL && seccomp_attr_set(filter, SCMP_FLTATR_API_SYSRAWRC, 1) != 0) {
        seccomp_release(filter);
        return NULL;
    }
    return filter;
}

void afw_seccomp_filter_release(afw_seccomp_filter filter) { seccomp_release(filter); }

int afw_seccomp_filter_add_architecture(afw_seccomp_filter filter, const char *name) {
    uint32_t token = seccomp_arch_resolve_name(name);
    if (token == 0) return -EINVAL;
    int result = seccomp_arch_add(filter, token);
    /* The native architecture is in every filter already; asking for it again is fine. */
    return result == -EEXIST ? 0 : result;
}

int afw_seccomp_filter_deny(afw_seccomp_filter filter, const char *syscall, int errno_value,
                            bool conditional, unsigned arg_index, uint64_t mask, uint64_t value) {
    int number = seccomp_syscall_resolve_name(syscall);
    if (number == __NR_SCMP_ERROR) return -ENOENT;
    struct scmp_arg_cmp comparison = {
        .arg = arg_index, .op = SCMP_CMP_MASKED_EQ, .datum_a = mask, .datum_b = value,
    };
    return seccomp_rule_add_array(filter, SCMP_ACT_ERRNO((uint32_t)errno_value), number,
                                  conditional ? 1 : 0, conditional ? &comparison : NULL);
}

int afw_seccomp_filter_load(afw_seccomp_filter filter) {
    /* Without no_new_privs an unprivileged thread may not install a filter, and with it a
     * setuid program cannot gain privileges that would let it shed the filter. libseccomp
     * would set it too (SCMP_FLTATR_CTL_NNP); it is set here so that the guarantee does not
     * hang on a library default. It applies to this thread and what it starts only. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return -errno;
    return seccomp_load(filter);
}
