/*
 * hooks_send.c: sends that name their destination (UDP without connect). Such a datagram
 * reaches its address as surely as a connect would, so it is decided like one. A send
 * without a destination goes where the socket's connect, already decided, points.
 * sendmmsg is not hooked: programs rarely call it, and the backstop decides it.
 *
 * Contract: a denied send returns -1 with errno EACCES, as connect does.
 */
#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "shim.h"

AFW_EXPORT ssize_t sendto(int fd, const void *buffer, size_t length, int flags, const struct sockaddr *address,
                          socklen_t address_length) {
    if (address != NULL && !afw_shim_busy() && afw_check_connect("sendto", address, address_length) != 0) {
        return -1;
    }
    return afw_direct_syscall(SYS_sendto, fd, (long)buffer, (long)length, flags, (long)address, address_length);
}

AFW_EXPORT ssize_t sendmsg(int fd, const struct msghdr *message, int flags) {
    if (message != NULL && message->msg_name != NULL && !afw_shim_busy() &&
        afw_check_connect("sendmsg", message->msg_name, message->msg_namelen) != 0) {
        return -1;
    }
    return afw_direct_syscall(SYS_sendmsg, fd, (long)message, flags, 0, 0, 0);
}
