/* Rows as JSON text the way Spark's to_json / JSON sink writes them (Jackson
 * under Spark's JacksonGenerator): shared by the json file sink and the
 * Kafka sink's whole-row messages. */
#ifndef IO_JSON_WRITER_H
#define IO_JSON_WRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "core/valuefmt.h"

/* Appends s (n bytes) as a JSON string literal as Jackson writes it: \" \\
 * and control characters escaped (\b \t \n \f \r, else \u00XX), every other
 * byte as it is. */
void json_write_string(textbuf *b, const char *s, size_t n);

/* Appends one non-NULL value: numbers as numbers (doubles as Java prints
 * them; NaN and infinities quoted, as Jackson does), booleans, strings;
 * timestamps as "yyyy-MM-dd'T'HH:mm:ss.SSSXXX" in UTC, dates "yyyy-MM-dd",
 * a window as {"start": ..., "end": ...}. */
void json_write_value(textbuf *b, const value *v);

/* Appends row r of bt as one JSON object over the columns cols[0..ncols)
 * (indexes into s and bt; cols NULL means every column of s in order),
 * named by s. NULL fields are left out when skip_nulls (Spark's
 * ignoreNullFields, the default), else written as null. No newline. */
void json_write_row(textbuf *b, const schema *s, const int *cols, int ncols, const batch *bt,
                    uint32_t r, bool skip_nulls);

#endif
