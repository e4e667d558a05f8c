/*
 * shim_env.c: keeps the firewall in every descendant. The variables that tie a process to
 * its run (LD_PRELOAD and AGENTFIREWALL_*) are copied at load, before any code of the
 * program runs (`env -i` calls clearenv() before it execs), and put back into every child's
 * environment, whatever environment the caller passed.
 */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "shim.h"

#define LD_PRELOAD_PREFIX "LD_PRELOAD="
#define LIBRARY_BASENAME "libagentfirewall-preload.so"

/* Fixed storage: nothing here may allocate (a vfork child builds environments too). */
#define SAVED_MAX 32
static char saved_storage[16384];
static const char *saved[SAVED_MAX]; /* "AGENTFIREWALL_X=value" entries */
static int saved_count;
static char library_path[4096];
static int captured;

static bool is_ours(const char *entry) {
    return strncmp(entry, AFW_ENV_PREFIX, strlen(AFW_ENV_PREFIX)) == 0 ||
           strncmp(entry, LD_PRELOAD_PREFIX, strlen(LD_PRELOAD_PREFIX)) == 0;
}

static void find_library_path(void) {
    const char *configured = afw_env_saved(AFW_ENV_PRELOAD_PATH);
    if (configured != NULL && configured[0] == '/' && strlen(configured) < sizeof library_path) {
        strcpy(library_path, configured);
        return;
    }
    Dl_info info;
    if (dladdr((void *)find_library_path, &info) == 0 || info.dli_fname == NULL) {
        return;
    }
    /* A relative LD_PRELOAD entry means "relative to the cwd at load": made absolute now,
     * it still finds the library after the agent changes directory. */
    if (afw_path_absolute(AT_FDCWD, info.dli_fname, library_path, sizeof library_path) != AFW_OK) {
        library_path[0] = '\0';
    }
}

void afw_env_capture(void) {
    if (captured) {
        return;
    }
    captured = 1;
    extern char **environ;
    size_t used = 0;
    for (char **entry = environ; entry != NULL && *entry != NULL; entry++) {
        if (strncmp(*entry, AFW_ENV_PREFIX, strlen(AFW_ENV_PREFIX)) != 0) {
            continue;
        }
        size_t length = strlen(*entry) + 1;
        if (saved_count == SAVED_MAX || length > sizeof saved_storage - used) {
            break;
        }
        memcpy(saved_storage + used, *entry, length);
        saved[saved_count++] = saved_storage + used;
        used += length;
    }
    find_library_path();
}

const char *afw_env_saved(const char *name) {
    size_t name_length = strlen(name);
    for (int i = 0; i < saved_count; i++) {
        if (strncmp(saved[i], name, name_length) == 0 && saved[i][name_length] == '=') {
            return saved[i] + name_length + 1;
        }
    }
    return NULL;
}

static bool names_this_library(const char *entry, size_t length) {
    size_t ours = strlen(library_path);
    if (length == ours && strncmp(entry, library_path, length) == 0) {
        return true;
    }
    size_t base = strlen(LIBRARY_BASENAME);
    return length >= base && strncmp(entry + length - base, LIBRARY_BASENAME, base) == 0 &&
           (length == base || entry[length - base - 1] == '/');
}

/* Writes "LD_PRELOAD=<this library>[:<the caller's other preloads>]" into out, which has
 * room for the longest result (see preload_capacity). */
static void build_preload(const char *callers, char *out) {
    char *at = out;
    memcpy(at, LD_PRELOAD_PREFIX, strlen(LD_PRELOAD_PREFIX));
    at += strlen(LD_PRELOAD_PREFIX);
    memcpy(at, library_path, strlen(library_path));
    at += strlen(library_path);
    /* ld.so splits LD_PRELOAD on both ':' and ' '. */
    while (callers != NULL && *callers != '\0') {
        size_t length = strcspn(callers, ": ");
        if (length > 0 && !names_this_library(callers, length)) {
            *at++ = ':';
            memcpy(at, callers, length);
            at += length;
        }
        callers += length;
        callers += strspn(callers, ": ");
    }
    *at = '\0';
}

static size_t preload_capacity(const char *callers) {
    return strlen(LD_PRELOAD_PREFIX) + strlen(library_path) + 1 + (callers ? strlen(callers) : 0) + 1;
}

int afw_env_with_child(char *const envp[], afw_env_user use, void *context) {
    if (afw_shim_state()->mode == AFW_SHIM_INACTIVE || library_path[0] == '\0') {
        return use(envp, context);
    }
    size_t given = 0;
    const char *callers_preload = NULL;
    for (; envp != NULL && envp[given] != NULL; given++) {
        if (strncmp(envp[given], LD_PRELOAD_PREFIX, strlen(LD_PRELOAD_PREFIX)) == 0) {
            callers_preload = envp[given] + strlen(LD_PRELOAD_PREFIX);
        }
    }
    /* On the stack: a vfork child (Python's subprocess, posix_spawn) must not touch the
     * parent's heap. The kernel caps an environment at a quarter of the stack limit, so
     * these stay within what the exec itself needs. */
    char *child[given + (size_t)saved_count + 2];
    char preload[preload_capacity(callers_preload)];
    size_t count = 0;
    for (size_t i = 0; i < given; i++) {
        if (!is_ours(envp[i])) {
            child[count++] = envp[i];
        }
    }
    for (int i = 0; i < saved_count; i++) {
        child[count++] = (char *)saved[i];
    }
    build_preload(callers_preload, preload);
    child[count++] = preload;
    child[count] = NULL;
    return use(child, context);
}

void afw_env_restore_process(void) {
    if (afw_shim_state()->mode == AFW_SHIM_INACTIVE || library_path[0] == '\0') {
        return;
    }
    for (int i = 0; i < saved_count; i++) {
        const char *equals = strchr(saved[i], '=');
        size_t name_length = (size_t)(equals - saved[i]);
        char name[name_length + 1];
        memcpy(name, saved[i], name_length);
        name[name_length] = '\0';
        const char *current = getenv(name);
        if (current == NULL || strcmp(current, equals + 1) != 0) {
            setenv(name, equals + 1, 1);
        }
    }
    const char *current = getenv("LD_PRELOAD");
    char preload[preload_capacity(current)];
    build_preload(current, preload);
    const char *value = preload + strlen(LD_PRELOAD_PREFIX);
    if (current == NULL || strcmp(current, value) != 0) {
        setenv("LD_PRELOAD", value, 1);
    }
}
