/*
 * spawn_token.c: the hand-over of an exec decided by the shim to the backstop, for the execs
 * libc makes itself (agentfirewall_abi.h, struct afw_spawn_token). Losing a token (a slot
 * reused by another spawn at the same moment) only means the exec is decided again.
 */
#include <string.h>

#include "afw_core.h"

static uint32_t program_hash(const char *program) {
    uint32_t hash = 2166136261u;
    for (const unsigned char *byte = (const unsigned char *)program; *byte != '\0'; byte++) {
        hash = (hash ^ *byte) * 16777619u;
    }
    return hash;
}

void afw_spawn_token_put(struct afw_segment_header *segment, int32_t parent_pid, const char *program,
                         uint64_t now_ns) {
    uint32_t hash = program_hash(program);
    struct afw_spawn_token *token = &segment->spawn_tokens[(hash ^ (uint32_t)parent_pid) % AFW_SPAWN_TOKEN_COUNT];
    __atomic_store_n(&token->expires_ns, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&token->parent_pid, parent_pid, __ATOMIC_RELAXED);
    __atomic_store_n(&token->program_hash, hash, __ATOMIC_RELAXED);
    __atomic_store_n(&token->expires_ns, now_ns + AFW_SPAWN_TOKEN_LIFETIME_NS, __ATOMIC_RELEASE);
}

bool afw_spawn_token_take(struct afw_segment_header *segment, int32_t parent_pid, const char *program,
                          uint64_t now_ns) {
    uint32_t hash = program_hash(program);
    for (uint32_t i = 0; i < AFW_SPAWN_TOKEN_COUNT; i++) {
        struct afw_spawn_token *token = &segment->spawn_tokens[i];
        uint64_t expires = __atomic_load_n(&token->expires_ns, __ATOMIC_ACQUIRE);
        if (expires <= now_ns || __atomic_load_n(&token->parent_pid, __ATOMIC_RELAXED) != parent_pid ||
            __atomic_load_n(&token->program_hash, __ATOMIC_RELAXED) != hash)
            continue;
        /* One exec per token: two children racing for it get one pass between them. */
        if (__atomic_compare_exchange_n(&token->expires_ns, &expires, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            return true;
    }
    return false;
}
