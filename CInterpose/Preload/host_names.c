/*
 * host_names.c: which name this process resolved to which address, so that connect() can
 * be judged (and reported) by host, not only by address. A small fixed table: resolver
 * hooks may run on any thread at any time, so there is no malloc and no lock; each entry
 * is a seqlock whose writer gives up instead of waiting, and whose reader retries a few
 * times and then treats the entry as unknown. A race can lose a name, never crash.
 */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "shim.h"

#define HOST_ENTRIES 64
#define HOST_NAME_BYTES 256
#define READ_ATTEMPTS 4

struct host_entry {
    uint32_t seq;        /* odd while a writer fills the entry */
    uint8_t family;      /* 4 or 6 */
    uint8_t address[16];
    uint64_t stamp;      /* newer entries win when an address was resolved twice */
    char name[HOST_NAME_BYTES];
};

static struct host_entry entries[HOST_ENTRIES];
static uint64_t next_stamp;

void afw_host_remember(const char *name, int family, const void *address) {
    if (name == NULL || name[0] == '\0' || (family != AF_INET && family != AF_INET6)) {
        return;
    }
    uint64_t stamp = __atomic_add_fetch(&next_stamp, 1, __ATOMIC_RELAXED);
    struct host_entry *entry = &entries[stamp % HOST_ENTRIES];
    uint32_t seq = __atomic_load_n(&entry->seq, __ATOMIC_RELAXED);
    if ((seq & 1) != 0 ||
        !__atomic_compare_exchange_n(&entry->seq, &seq, seq + 1, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
        return; /* another writer holds this entry: drop rather than wait */
    }
    entry->family = family == AF_INET ? 4 : 6;
    memset(entry->address, 0, sizeof entry->address);
    memcpy(entry->address, address, family == AF_INET ? 4 : 16);
    entry->stamp = stamp;
    size_t length = strnlen(name, HOST_NAME_BYTES - 1);
    memcpy(entry->name, name, length);
    entry->name[length] = '\0';
    __atomic_store_n(&entry->seq, seq + 2, __ATOMIC_RELEASE);
}

/* Reads one entry consistently; false when a writer kept changing it. */
static bool read_entry(const struct host_entry *entry, struct host_entry *copy) {
    for (int attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
        uint32_t before = __atomic_load_n(&entry->seq, __ATOMIC_ACQUIRE);
        if ((before & 1) != 0) {
            continue;
        }
        memcpy(copy, entry, sizeof *copy);
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        if (__atomic_load_n(&entry->seq, __ATOMIC_RELAXED) == before) {
            copy->name[HOST_NAME_BYTES - 1] = '\0';
            return before != 0;
        }
    }
    return false;
}

bool afw_host_lookup(uint8_t family, const uint8_t address[16], char *out, size_t out_size) {
    static const uint8_t v4_mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    uint8_t wanted[16] = {0};
    size_t compared = family == 4 ? 4 : 16;
    memcpy(wanted, address, compared);
    /* A dual-stack socket connects to ::ffff:a.b.c.d for a name resolved to a.b.c.d. */
    if (family == 6 && memcmp(address, v4_mapped_prefix, sizeof v4_mapped_prefix) == 0) {
        family = 4;
        compared = 4;
        memset(wanted, 0, sizeof wanted);
        memcpy(wanted, address + 12, 4);
    }
    bool found = false;
    uint64_t newest = 0;
    struct host_entry copy;
    for (int i = 0; i < HOST_ENTRIES; i++) {
        if (__atomic_load_n(&entries[i].seq, __ATOMIC_RELAXED) == 0) {
            continue; /* never written: most processes resolve few names */
        }
        if (!read_entry(&entries[i], &copy) || copy.family != family ||
            memcmp(copy.address, wanted, compared) != 0 || (found && copy.stamp < newest)) {
            continue;
        }
        size_t length = strnlen(copy.name, out_size - 1);
        memcpy(out, copy.name, length);
        out[length] = '\0';
        newest = copy.stamp;
        found = true;
    }
    return found;
}
