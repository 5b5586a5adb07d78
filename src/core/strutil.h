/* Small string helpers: case-insensitive comparison, edit distance and the
 * "did you mean" search used by every error that names an unknown name. */
#ifndef CORE_STRUTIL_H
#define CORE_STRUTIL_H

#include <stdbool.h>
#include <stddef.h>

/* Levenshtein distance between a and b, case-insensitive. */
int str_edit_distance(const char *a, const char *b);

/* The candidate nearest to `name` by case-insensitive edit distance, if it is
 * close enough to be a plausible typo (distance <= max(1, len/3)), else NULL.
 * `candidates` is an array of n strings; the result points into it. */
const char *str_nearest(const char *name, const char *const *candidates, int n);

/* Case-insensitive equality of NUL-terminated strings. */
bool str_ieq(const char *a, const char *b);

/* Case-insensitive equality of a length-delimited string and a C string. */
bool str_ieqn(const char *a, size_t alen, const char *b);

#endif
