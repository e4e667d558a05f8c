/*
 * direct_syscall.c: how the shim makes a call it has decided. Under the standard backstop the
 * seccomp filter sends every open, exec, connect and addressed send to the supervisor unless
 * its system-call instruction lies in the gadget page (AFW_GADGET_ADDRESS, agentfirewall_abi.h);
 * the shim maps that page and makes its calls from there, so a decided call costs no second
 * decision. Without the page (paranoid mode, no backstop, the address taken) the calls go
 * through libc's syscall() and the supervisor decides them again.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real_symbols.h"
#include "shim.h"

typedef long (*gadget_function)(long number, long a, long b, long c, long d, long e, long f);

static gadget_function gadget;

#if defined(__x86_64__)
/* long gadget(number, a, b, c, d, e, f): moves the C arguments (rdi, rsi, rdx, rcx, r8, r9,
 * then the stack) into the kernel's registers (rax, rdi, rsi, rdx, r10, r8, r9) and returns
 * the kernel's raw answer (-4095..-1 is an errno). */
static const unsigned char gadget_code[] = {
    0x48, 0x89, 0xf8,             /* mov %rdi,%rax */
    0x48, 0x89, 0xf7,             /* mov %rsi,%rdi */
    0x48, 0x89, 0xd6,             /* mov %rdx,%rsi */
    0x48, 0x89, 0xca,             /* mov %rcx,%rdx */
    0x4d, 0x89, 0xc2,             /* mov %r8,%r10 */
    0x4d, 0x89, 0xc8,             /* mov %r9,%r8 */
    0x4c, 0x8b, 0x4c, 0x24, 0x08, /* mov 0x8(%rsp),%r9 */
    0x0f, 0x05,                   /* syscall */
    0xc3,                         /* ret */
};
#endif

void afw_gadget_map(void) {
#if defined(__x86_64__)
    void *page = mmap((void *)AFW_GADGET_ADDRESS, AFW_GADGET_SIZE, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (page == MAP_FAILED) {
        return; /* the address is taken: every call is decided by the supervisor, just slower */
    }
    if (page != (void *)AFW_GADGET_ADDRESS) { /* a kernel older than 4.17 took it as a hint */
        munmap(page, AFW_GADGET_SIZE);
        return;
    }
    memcpy(page, gadget_code, sizeof gadget_code);
    if (mprotect(page, AFW_GADGET_SIZE, PROT_READ | PROT_EXEC) != 0) {
        munmap(page, AFW_GADGET_SIZE);
        return;
    }
    /* Not sealed with mseal(2): a program that wants past the filter can call this page as
     * it is, so sealing it would stop nothing, and on 6.18 a sealed page made every exec and
     * exit of the process about 1.5 ms slower (scripts/bench). */
    gadget = (gadget_function)page;
#endif
}

long afw_direct_syscall(long number, long a, long b, long c, long d, long e, long f) {
    if (gadget != NULL) {
        long result = gadget(number, a, b, c, d, e, f);
        if (result < 0 && result > -4096) {
            errno = (int)-result;
            return -1;
        }
        return result;
    }
    long (*real_syscall)(long, ...) = AFW_REAL(syscall);
    if (real_syscall == NULL) {
        errno = ENOSYS;
        return -1;
    }
    return real_syscall(number, a, b, c, d, e, f);
}
