/*
 * hooks_resolve.c: name resolution, observed, never decided. Each hook calls libc and
 * remembers which name gave which addresses (host_names.c), so that a later connect() to
 * one of them is judged and reported by host ("api.example.com:443"), as policies name
 * hosts, not addresses. A numeric "name" is not a host name and is not remembered.
 *
 * Contract: the call and its result are libc's, untouched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>

#include "real_symbols.h"
#include "shim.h"

static bool worth_remembering(const char *name) {
    if (name == NULL || afw_shim_state()->mode != AFW_SHIM_ACTIVE) {
        return false;
    }
    unsigned char scratch[16];
    return inet_pton(AF_INET, name, scratch) != 1 && inet_pton(AF_INET6, name, scratch) != 1;
}

static void remember_hostent(const char *name, const struct hostent *entry) {
    if (entry == NULL || entry->h_addr_list == NULL || !worth_remembering(name)) {
        return;
    }
    for (char **address = entry->h_addr_list; *address != NULL; address++) {
        afw_host_remember(name, entry->h_addrtype, *address);
    }
}

AFW_EXPORT int getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
                           struct addrinfo **result) {
    int (*real)(const char *, const char *, const struct addrinfo *, struct addrinfo **) = AFW_REAL(getaddrinfo);
    if (real == NULL) {
        return EAI_SYSTEM;
    }
    int status = real(node, service, hints, result);
    if (status == 0 && result != NULL && worth_remembering(node)) {
        for (const struct addrinfo *info = *result; info != NULL; info = info->ai_next) {
            if (info->ai_addr == NULL) {
                continue;
            }
            if (info->ai_family == AF_INET && info->ai_addrlen >= sizeof(struct sockaddr_in)) {
                afw_host_remember(node, AF_INET, &((const struct sockaddr_in *)info->ai_addr)->sin_addr);
            } else if (info->ai_family == AF_INET6 && info->ai_addrlen >= sizeof(struct sockaddr_in6)) {
                afw_host_remember(node, AF_INET6, &((const struct sockaddr_in6 *)info->ai_addr)->sin6_addr);
            }
        }
    }
    return status;
}

AFW_EXPORT struct hostent *gethostbyname(const char *name) {
    struct hostent *(*real)(const char *) = AFW_REAL(gethostbyname);
    struct hostent *entry = real != NULL ? real(name) : NULL;
    remember_hostent(name, entry);
    return entry;
}

AFW_EXPORT struct hostent *gethostbyname2(const char *name, int family) {
    struct hostent *(*real)(const char *, int) = AFW_REAL(gethostbyname2);
    struct hostent *entry = real != NULL ? real(name, family) : NULL;
    remember_hostent(name, entry);
    return entry;
}

AFW_EXPORT int gethostbyname_r(const char *name, struct hostent *storage, char *buffer, size_t length,
                               struct hostent **result, int *h_error) {
    int (*real)(const char *, struct hostent *, char *, size_t, struct hostent **, int *) = AFW_REAL(gethostbyname_r);
    if (real == NULL) {
        return ENOSYS;
    }
    int status = real(name, storage, buffer, length, result, h_error);
    if (status == 0 && result != NULL) {
        remember_hostent(name, *result);
    }
    return status;
}

AFW_EXPORT int gethostbyname2_r(const char *name, int family, struct hostent *storage, char *buffer,
                                size_t length, struct hostent **result, int *h_error) {
    int (*real)(const char *, int, struct hostent *, char *, size_t, struct hostent **, int *) =
        AFW_REAL(gethostbyname2_r);
    if (real == NULL) {
        return ENOSYS;
    }
    int status = real(name, family, storage, buffer, length, result, h_error);
    if (status == 0 && result != NULL) {
        remember_hostent(name, *result);
    }
    return status;
}
