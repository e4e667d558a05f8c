/*
 * hooks_connect.c: outbound connections. Decided before the kernel sends a packet.
 * Contract: a denied connect() returns -1 with errno EACCES, as a local firewall rule would.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "shim.h"

AFW_EXPORT int connect(int fd, const struct sockaddr *address, socklen_t length) {
    if (!afw_shim_busy() && afw_check_connect("connect", address, length) != 0) {
        return -1;
    }
    /* Through the gadget page: decided here, not again by the backstop. */
    return (int)afw_direct_syscall(SYS_connect, fd, (long)address, (long)length, 0, 0, 0);
}
