/* Names used in the audit record and the "agentfirewall: blocked ..." line. The spellings are
 * part of the external contract (SPEC.md), so they live in one place. */
#include "afw_core.h"

const char *afw_surface_name(uint8_t surface)
{
    switch (surface) {
    case AFW_SURFACE_FILE: return "file";
    case AFW_SURFACE_EXEC: return "exec";
    case AFW_SURFACE_NETWORK: return "network";
    default: return "unknown";
    }
}

const char *afw_action_name(uint8_t action)
{
    switch (action) {
    case AFW_ACTION_ALLOW: return "allow";
    case AFW_ACTION_BLOCK: return "block";
    case AFW_ACTION_REVIEW: return "review";
    case AFW_ACTION_LOG: return "log";
    default: return "unknown";
    }
}

const char *afw_path_name(uint8_t path)
{
    switch (path) {
    case AFW_PATH_FAST: return "fast";
    case AFW_PATH_SLOW: return "slow";
    case AFW_PATH_BACKSTOP: return "backstop";
    default: return "unknown";
    }
}

int afw_action_strictness(uint8_t action)
{
    switch (action) {
    case AFW_ACTION_ALLOW: return 0;
    case AFW_ACTION_LOG: return 1;
    case AFW_ACTION_REVIEW: return 2;
    default: return 3;
    }
}
