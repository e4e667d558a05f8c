/*
 * check_network.c: turns connect() (and a send that names its destination) into a NETWORK event: family, address, port and the
 * name this process resolved for the address. Only IP sockets are judged; a unix socket or
 * netlink address is local plumbing and passes undecided.
 */
#include <netinet/in.h>
#include <string.h>

#include "shim.h"

int afw_check_connect(const char *op, const struct sockaddr *address, socklen_t length) {
    if (address == NULL || length < (socklen_t)sizeof(sa_family_t)) {
        return 0; /* EFAULT or EINVAL from the kernel */
    }
    sa_family_t family = address->sa_family;
    bool inet4 = family == AF_INET && length >= (socklen_t)sizeof(struct sockaddr_in);
    bool inet6 = family == AF_INET6 && length >= (socklen_t)sizeof(struct sockaddr_in6);
    if (!inet4 && !inet6) {
        return 0;
    }
    struct afw_entry entry = afw_enter();
    if (entry.gate != AFW_GATE_DECIDE) {
        return afw_leave(&entry, afw_gate_verdict(&entry));
    }
    struct afw_event_view event = {.surface = AFW_SURFACE_NETWORK};
    if (inet4) {
        const struct sockaddr_in *v4 = (const struct sockaddr_in *)address;
        event.family = 4;
        memcpy(event.address, &v4->sin_addr, 4);
        event.port = ntohs(v4->sin_port);
    } else {
        const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)address;
        event.family = 6;
        memcpy(event.address, &v6->sin6_addr, 16);
        event.port = ntohs(v6->sin6_port);
    }
    char host[256];
    event.host = afw_host_lookup(event.family, event.address, host, sizeof host) ? host : NULL;
    return afw_leave(&entry, afw_decide(op, &event, entry.started_ns));
}
