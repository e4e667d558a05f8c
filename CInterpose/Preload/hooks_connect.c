/*
 * hooks_connect.c: outbound connections. Decided before the kernel sends a packet.
 * Contract: a denied connect() returns -1 with errno EACCES, as a local firewall rule would.
 */
#include <errno.h>
#include <sys/socket.h>

#include "real_symbols.h"
#include "shim.h"

AFW_EXPORT int connect(int fd, const struct sockaddr *address, socklen_t length) {
    if (!afw_shim_busy() && afw_check_connect("connect", address, length) != 0) {
        return -1;
    }
    int (*real)(int, const struct sockaddr *, socklen_t) = AFW_REAL(connect);
    return real != NULL ? real(fd, address, length) : (errno = ENOSYS, -1);
}
