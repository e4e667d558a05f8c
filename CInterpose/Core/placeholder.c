#include "afw_core.h"
