/*
 * socket_address.c: the network destination a socket address names, for the shim's connect
 * and send hooks and for the supervisor's backstop alike.
 */
#include <netinet/in.h>
#include <string.h>

#include "afw_core.h"

bool afw_socket_destination(const struct sockaddr *address, size_t length, uint8_t *family, uint8_t bytes[16],
                            uint16_t *port) {
    if (address == NULL || length < sizeof(sa_family_t)) {
        return false;
    }
    if (address->sa_family == AF_INET && length >= sizeof(struct sockaddr_in)) {
        struct sockaddr_in v4;
        memcpy(&v4, address, sizeof v4);
        *family = 4;
        memset(bytes, 0, 16);
        memcpy(bytes, &v4.sin_addr, 4);
        *port = ntohs(v4.sin_port);
        return true;
    }
    if (address->sa_family == AF_INET6 && length >= sizeof(struct sockaddr_in6)) {
        struct sockaddr_in6 v6;
        memcpy(&v6, address, sizeof v6);
        *family = 6;
        memcpy(bytes, &v6.sin6_addr, 16);
        *port = ntohs(v6.sin6_port);
        return true;
    }
    return false;
}
