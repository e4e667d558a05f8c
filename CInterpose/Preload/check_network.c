/*
 * check_network.c: turns connect() (and a send that names its destination) into a NETWORK event: family, address, port and the
 * name this process resolved for the address. Only IP sockets are judged; a unix socket or
 * netlink address is local plumbing and passes undecided.
 */

#include "shim.h"

int afw_check_connect(const char *op, const struct sockaddr *address, socklen_t length) {
    struct afw_event_view event = {.surface = AFW_SURFACE_NETWORK};
    if (!afw_socket_destination(address, length, &event.family, event.address, &event.port)) {
        return 0; /* not an IP destination, or one the kernel refuses (EFAULT, EINVAL) */
    }
    struct afw_entry entry = afw_enter();
    if (entry.gate != AFW_GATE_DECIDE) {
        return afw_leave(&entry, afw_gate_verdict(&entry));
    }
    char host[256];
    event.host = afw_host_lookup(event.family, event.address, host, sizeof host) ? host : NULL;
    return afw_leave(&entry, afw_decide(op, &event, entry.started_ns));
}
