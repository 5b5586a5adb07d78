/* Filling eddy_error values. Every function that can fail takes an
 * `eddy_error *err` (may be NULL) and returns the negated code from err_set. */
#ifndef CORE_ERR_H
#define CORE_ERR_H

#include "eddy.h"

/* Formats the message into err (if not NULL) and returns -code. */
int err_set(eddy_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prepends "prefix: " to an existing message (keeps the code); returns -code. */
int err_prefix(eddy_error *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
