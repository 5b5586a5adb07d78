/* Values as text, exactly as Spark renders them: CAST(v AS STRING), the
 * console sink's cells, CSV sink fields. Also a growable text buffer that the
 * sinks and the HTTP API build their output in. */
#ifndef CORE_VALUEFMT_H
#define CORE_VALUEFMT_H

#include <stddef.h>

#include "core/types.h"

/* Java's Double.toString, as Spark prints doubles: "1.0", "0.1", "-2.5",
 * "1.0E7" and above in scientific form, "1.0E-4" below 1e-3, "NaN",
 * "Infinity", "-Infinity"; digits are the shortest that round-trip (JDK 19+
 * rules: when one digit would do, the closest of one or two digits, so
 * Double.MIN_VALUE is "4.9E-324"). buf >= 32 bytes; returns length. */
int double_to_text(double d, char *buf);

/* Formats one value as Spark's CAST(v AS STRING) does into buf (cap bytes,
 * always NUL-terminated when cap > 0); returns the full length it needs
 * (like snprintf: when the result is >= cap the text was cut).
 * NULL -> "NULL"; booleans "true"/"false"; timestamps ts_format; dates
 * date_format; windows "{start, end}" with ts_format bounds; strings raw. */
int value_to_text(const value *v, char *buf, int cap);

/* A growable byte buffer. `data` is malloc'd and owned by the buffer, NULL
 * until the first append or reserve and NUL-terminated from then on; `len`
 * excludes the terminator. Setting len = 0 empties it for reuse (the next
 * append writes the terminator again). Appends never fail (xrealloc exits on
 * OOM). */
typedef struct textbuf {
    char *data;
    size_t len;
    size_t cap;
} textbuf;

/* Empty buffer, nothing allocated. */
void textbuf_init(textbuf *b);
/* Frees the bytes; the buffer is empty and reusable afterwards. */
void textbuf_free(textbuf *b);
/* Makes room for `extra` more bytes plus the terminator. */
void textbuf_reserve(textbuf *b, size_t extra);
/* Appends n bytes of s (which may hold NULs; s may be NULL when n is 0). */
void textbuf_put(textbuf *b, const char *s, size_t n);
/* Appends the NUL-terminated string s. */
void textbuf_puts(textbuf *b, const char *s);
/* Appends one byte (a NUL byte counts in len like any other). */
void textbuf_putc(textbuf *b, char c);
/* Appends value_to_text(v). */
void textbuf_value(textbuf *b, const value *v);

#endif
