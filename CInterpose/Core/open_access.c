/* What an open(2) asks for, from its flags: shared by the shim (hooked opens) and the
 * supervisor's backstop (notified opens), so both judge the same access. */
#include <fcntl.h>

#include "afw_core.h"

uint8_t afw_access_for_open(int flags, bool creates)
{
    uint8_t wanted;
    switch (flags & O_ACCMODE) {
    case O_RDONLY: wanted = AFW_ACCESS_READ; break;
    case O_WRONLY: wanted = AFW_ACCESS_WRITE; break;
    default: wanted = AFW_ACCESS_READ | AFW_ACCESS_WRITE; break;
    }
    /* O_TRUNC empties the file even when opened read-only. */
    if (flags & O_TRUNC)
        wanted |= AFW_ACCESS_WRITE;
    if ((flags & O_TMPFILE) == O_TMPFILE || creates)
        wanted |= AFW_ACCESS_CREATE | AFW_ACCESS_WRITE;
    return wanted;
}
