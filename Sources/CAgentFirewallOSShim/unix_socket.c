/* accept4 and struct ucred are declared only under _GNU_SOURCE, which Swift's Glibc module
 * is not built with. */
#define _GNU_SOURCE
#include "afw_os_shim.h"

#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

int afw_os_accept_peer(int listener, int32_t *pid, uint32_t *uid)
{
    int descriptor = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (descriptor < 0)
        return -errno;
    struct ucred credentials;
    socklen_t length = sizeof credentials;
    if (getsockopt(descriptor, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0) {
        int error = errno;
        close(descriptor);
        return -error;
    }
    *pid = credentials.pid;
    *uid = credentials.uid;
    return descriptor;
}
