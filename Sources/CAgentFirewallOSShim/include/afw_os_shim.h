#ifndef AFW_OS_SHIM_H
#define AFW_OS_SHIM_H
#endif
