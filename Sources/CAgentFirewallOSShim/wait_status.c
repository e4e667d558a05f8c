#include "afw_os_shim.h"

#include <sys/wait.h>

int afw_os_wait_exit_status(int status) { return WEXITSTATUS(status); }
bool afw_os_wait_signaled(int status) { return WIFSIGNALED(status); }
int afw_os_wait_term_signal(int status) { return WTERMSIG(status); }
