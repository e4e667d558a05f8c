/*
 * notify_filter.c: builds and installs the backstop's notifying filter (afw_notify_filter.h).
 * The program is assembled with symbolic jump targets, resolved once at the end: BPF jumps
 * are relative offsets, and hand-counted offsets break silently when a line is added.
 */
#include "afw_notify_filter.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agentfirewall_abi.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#else
#error "the backstop filter knows x86_64 and aarch64"
#endif

/* Where a jump goes: the next instruction, or a label placed with `mark`. */
enum target {
    NEXT = -1,
    ALLOW = 0, NOTIFY, REFUSE, COVERED, FOREIGN, NOT_GADGET, OPEN_FLAGS, OPENAT_FLAGS, SEND_TO, TEST_FLAGS,
    LABEL_COUNT
};

#define MAX_PROGRAM 128

struct assembler {
    struct sock_filter code[MAX_PROGRAM];
    int jump_true[MAX_PROGRAM];
    int jump_false[MAX_PROGRAM];
    int length;
    int labels[LABEL_COUNT];
};

static void emit(struct assembler *program, uint16_t code, uint32_t k, int when_true, int when_false) {
    if (program->length < MAX_PROGRAM) {
        program->code[program->length] = (struct sock_filter){.code = code, .k = k};
        program->jump_true[program->length] = when_true;
        program->jump_false[program->length] = when_false;
    }
    program->length++;
}

static void load(struct assembler *program, uint32_t offset) {
    emit(program, BPF_LD | BPF_W | BPF_ABS, offset, NEXT, NEXT);
}

static void jump_if_equal(struct assembler *program, uint32_t value, int when_true, int when_false) {
    emit(program, BPF_JMP | BPF_JEQ | BPF_K, value, when_true, when_false);
}

static void jump_if_any_bit(struct assembler *program, uint32_t bits, int when_true, int when_false) {
    emit(program, BPF_JMP | BPF_JSET | BPF_K, bits, when_true, when_false);
}

static void jump(struct assembler *program, int target) {
    emit(program, BPF_JMP | BPF_JA | BPF_K, 0, target, target);
}

static void mark(struct assembler *program, enum target label) {
    program->labels[label] = program->length;
}

static void ret(struct assembler *program, enum target label, uint32_t action) {
    mark(program, label);
    emit(program, BPF_RET | BPF_K, action, NEXT, NEXT);
}

/* The low 32 bits of argument `index` (flags and the NULL test need no more on 64-bit). */
#define ARG_LOW(index) ((uint32_t)offsetof(struct seccomp_data, args) + 8u * (index))
#define ARG_HIGH(index) (ARG_LOW(index) + 4u)

/* Resolves labels into BPF's relative offsets (BPF_JA takes its offset in k, the
 * conditional jumps in jt and jf); false when a jump goes backwards or does not fit. */
static bool resolve(struct assembler *program) {
    if (program->length > MAX_PROGRAM) {
        return false;
    }
    for (int i = 0; i < program->length; i++) {
        int offsets[2];
        int targets[2] = {program->jump_true[i], program->jump_false[i]};
        for (int j = 0; j < 2; j++) {
            int destination = targets[j] == NEXT ? i + 1 : program->labels[targets[j]];
            offsets[j] = destination - i - 1;
            if (offsets[j] < 0 || offsets[j] > 255) {
                return false;
            }
        }
        if (program->code[i].code == (BPF_JMP | BPF_JA | BPF_K)) {
            program->code[i].k = (uint32_t)offsets[0];
        } else {
            program->code[i].jt = (uint8_t)offsets[0];
            program->code[i].jf = (uint8_t)offsets[1];
        }
    }
    return true;
}

/* The calls that read, run or reach something, by this architecture's numbers. */
static const uint32_t covered_calls[] = {
#ifdef SYS_open
    SYS_open,
#endif
#ifdef SYS_creat
    SYS_creat,
#endif
#ifdef SYS_rename
    SYS_rename,
#endif
#ifdef SYS_link
    SYS_link,
#endif
#ifdef SYS_unlink
    SYS_unlink,
#endif
#ifdef SYS_rmdir
    SYS_rmdir,
#endif
    SYS_unlinkat, SYS_truncate,
    SYS_openat, SYS_openat2, SYS_execve, SYS_execveat, SYS_connect, SYS_sendto, SYS_sendmsg, SYS_sendmmsg,
    SYS_renameat, SYS_renameat2, SYS_linkat,
};

#if defined(__x86_64__)
/* The same calls in the i386 ABI (int 0x80), which the 64-bit numbers do not catch. The
 * supervisor does not decode 32-bit calls, so they are refused, and everything else a 32-bit
 * program does runs. socketcall (102) multiplexes connect and sendto, so it goes too. */
static const uint32_t i386_covered_calls[] = {5, 8, 9, 10, 11, 38, 40, 92, 102, 193, 295, 301, 302, 303, 353, 358, 362,
                                              369, 370, 345, 437};
#endif

/* An open with these flags can write, create or truncate a file. */
#define WRITING_FLAGS ((uint32_t)(O_WRONLY | O_RDWR | O_CREAT | O_TRUNC))
/* ... and with these (and none of the above) it can only name a file or list a directory:
 * O_PATH gives a descriptor that cannot read; O_DIRECTORY fails on anything but a directory.
 * Reopening an O_PATH descriptor through /proc/self/fd, or opening relative to it, is an
 * open like any other and is notified. */
#define CONTENTLESS_FLAGS ((uint32_t)(O_PATH | O_DIRECTORY))

static void assemble(struct assembler *program, bool exempt_gadget) {
    load(program, offsetof(struct seccomp_data, arch));
    jump_if_equal(program, NATIVE_ARCH, NEXT, FOREIGN);
    load(program, offsetof(struct seccomp_data, nr));
#if defined(__x86_64__)
    jump_if_any_bit(program, 0x40000000u /* __X32_SYSCALL_BIT: the x32 ABI, same arch value */, REFUSE, NEXT);
#endif
    for (size_t i = 0; i < sizeof covered_calls / sizeof covered_calls[0]; i++) {
        jump_if_equal(program, covered_calls[i], COVERED, NEXT);
    }
    jump(program, ALLOW);

    mark(program, FOREIGN);
#if defined(__x86_64__)
    load(program, offsetof(struct seccomp_data, nr));
    for (size_t i = 0; i < sizeof i386_covered_calls / sizeof i386_covered_calls[0]; i++) {
        jump_if_equal(program, i386_covered_calls[i], REFUSE, NEXT);
    }
    jump(program, ALLOW);
#else
    jump(program, REFUSE);
#endif

    mark(program, COVERED);
    if (exempt_gadget) {
        load(program, offsetof(struct seccomp_data, instruction_pointer) + 4);
        jump_if_equal(program, (uint32_t)(AFW_GADGET_ADDRESS >> 32), NEXT, NOT_GADGET);
        load(program, offsetof(struct seccomp_data, instruction_pointer));
        emit(program, BPF_ALU | BPF_AND | BPF_K, ~(AFW_GADGET_SIZE - 1u), NEXT, NEXT);
        jump_if_equal(program, (uint32_t)AFW_GADGET_ADDRESS, ALLOW, NEXT);
    }
    mark(program, NOT_GADGET);
    load(program, offsetof(struct seccomp_data, nr));
#ifdef SYS_open
    jump_if_equal(program, SYS_open, OPEN_FLAGS, NEXT);
#endif
    jump_if_equal(program, SYS_openat, OPENAT_FLAGS, NEXT);
    jump_if_equal(program, SYS_sendto, SEND_TO, NOTIFY);

    mark(program, OPEN_FLAGS); /* open(path, flags, mode) */
    load(program, ARG_LOW(1));
    jump(program, TEST_FLAGS);
    mark(program, OPENAT_FLAGS); /* openat(dirfd, path, flags, mode) */
    load(program, ARG_LOW(2));
    mark(program, TEST_FLAGS);
    jump_if_any_bit(program, WRITING_FLAGS, NOTIFY, NEXT);
    jump_if_any_bit(program, CONTENTLESS_FLAGS, ALLOW, NOTIFY);

    /* sendto(fd, buffer, length, flags, destination, destination_length): without a
     * destination it sends on a connected socket, whose connect was decided. */
    mark(program, SEND_TO);
    load(program, ARG_LOW(4));
    jump_if_equal(program, 0, NEXT, NOTIFY);
    load(program, ARG_HIGH(4));
    jump_if_equal(program, 0, ALLOW, NOTIFY);

    /* The endings come last: BPF jumps only forward. */
    ret(program, ALLOW, SECCOMP_RET_ALLOW);
    ret(program, NOTIFY, SECCOMP_RET_USER_NOTIF);
    ret(program, REFUSE, SECCOMP_RET_ERRNO | EPERM);
}

int afw_notify_filter_install(bool exempt_gadget) {
    struct assembler program = {.length = 0};
    assemble(&program, exempt_gadget);
    if (!resolve(&program)) {
        return -EOVERFLOW; /* a bug in assemble: never install a filter that jumps wrong */
    }
    struct sock_fprog filter = {.len = (unsigned short)program.length, .filter = program.code};
    /* WAIT_KILLABLE_RECV (5.19+): once the supervisor has taken the call, an ordinary signal
     * (Go's preemption SIGURG, a pipeline's SIGCHLD) no longer aborts it halfway and makes it
     * restart or fail with EINTR; only a fatal signal ends the wait. */
    long listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
                            SECCOMP_FILTER_FLAG_NEW_LISTENER | SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV, &filter);
    if (listener < 0 && errno == EINVAL) {
        listener = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &filter);
    }
    return listener >= 0 ? (int)listener : -errno;
}
