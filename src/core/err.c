/* eddy_error helpers and the public strerror/version functions. */
#include "core/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int err_set(eddy_error *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        err->code = code;
    }
    return -code;
}

int err_prefix(eddy_error *err, const char *fmt, ...)
{
    if (!err)
        return -EDDY_RUNTIME;
    char prefix[512], old[sizeof err->message];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    int np = (int)strlen(prefix);
    snprintf(err->message, sizeof err->message, "%.*s: %.*s", np, prefix,
             (int)(sizeof err->message) - np - 3, old);
    return -err->code;
}

const char *eddy_strerror(int code)
{
    if (code < 0)
        code = -code;
    switch (code) {
#define EDDY_X(name, val, text) case val: return text;
        EDDY_ERRNO_MAP(EDDY_X)
#undef EDDY_X
    }
    return "unknown error";
}

const char *eddy_version(void)
{
    return "0.1.0";
}
