/* WITH (...) option lists: case-insensitive keys, literal values kept as text,
 * each with its position in the SQL file for error messages. Sources and sinks
 * declare the keys they know; anything else is an error that names the
 * nearest known key. */
#ifndef CORE_OPTIONS_H
#define CORE_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "eddy.h"

typedef struct option_kv {
    char *key;   /* as written (quotes removed); compared case-insensitively */
    char *value; /* literal as text: 'abc' -> abc, true -> true, 10 -> 10 */
    int line, col; /* position of the key, 1-based; 0 when not from SQL */
} option_kv;

/* Owns its strings. */
typedef struct options {
    int n;
    option_kv *kv;
} options;

void options_init(options *o);
void options_free(options *o);
void options_copy(options *dst, const options *src);
/* Adds or replaces key (case-insensitive). */
void options_set(options *o, const char *key, const char *value, int line, int col);
/* Value for key (case-insensitive) or NULL. */
const char *options_get(const options *o, const char *key);
const option_kv *options_find(const options *o, const char *key);

/* Typed getters: return `dflt` when the key is absent; on a malformed value
 * they return -EDDY_SQL with "option 'key': expected ..." in err, else 0. */
int options_bool(const options *o, const char *key, bool dflt, bool *out, eddy_error *err);
int options_int(const options *o, const char *key, int64_t dflt, int64_t *out, eddy_error *err);
/* A single character (sep, quote, escape); "\t" and "\\t" mean tab; "" means
 * NUL (no quoting). */
int options_char(const options *o, const char *key, char dflt, char *out, eddy_error *err);

/* Index of the first key not in `known` (a NULL-terminated list), or -1.
 * Keys starting with one of `prefixes` (NULL-terminated, may be NULL) are
 * accepted too, e.g. "kafka.". */
int options_first_unknown(const options *o, const char *const *known,
                          const char *const *prefixes);

#endif
