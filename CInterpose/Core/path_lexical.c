/* Lexical path normalisation: what a path names before symlinks are looked at. Policy globs
 * are written against absolute paths, so "../../.ssh/id_rsa" from a project directory must
 * become "/home/u/.ssh/id_rsa" before it is matched. */
#include "afw_core.h"

#include <string.h>

/* Appends the components of `path` to the absolute path being built in out[0..*length). */
static int append_components(const char *path, char *out, size_t out_size, size_t *length)
{
    while (*path != '\0') {
        while (*path == '/')
            path++;
        size_t component = strcspn(path, "/");
        if (component == 0 || (component == 1 && path[0] == '.')) {
            path += component;
            continue;
        }
        if (component == 2 && path[0] == '.' && path[1] == '.') {
            /* The kernel resolves ".." at the root to the root itself. */
            while (*length > 1 && out[*length - 1] != '/')
                (*length)--;
            if (*length > 1)
                (*length)--;
            out[*length] = '\0';
            path += component;
            continue;
        }
        size_t separator = *length > 1 ? 1 : 0;
        if (*length + separator + component + 1 > out_size)
            return AFW_E_TOO_LONG;
        if (separator)
            out[(*length)++] = '/';
        memcpy(out + *length, path, component);
        *length += component;
        out[*length] = '\0';
        path += component;
    }
    return AFW_OK;
}

int afw_path_lexical(const char *base, const char *path, char *out, size_t out_size)
{
    if (path == NULL || out == NULL)
        return AFW_E_INVALID;
    if (out_size < 2)
        return AFW_E_TOO_LONG;
    bool relative = path[0] != '/';
    if (relative && (base == NULL || base[0] != '/'))
        return AFW_E_INVALID;
    out[0] = '/';
    out[1] = '\0';
    size_t length = 1;
    if (relative) {
        int result = append_components(base, out, out_size, &length);
        if (result != AFW_OK)
            return result;
    }
    return append_components(path, out, out_size, &length);
}
