#include "afw_os_shim.h"
