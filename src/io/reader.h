/* Schema-directed record parsers for file sources: CSV, JSON lines, text.
 * They write straight into a batch's column vectors and skip columns the plan
 * does not read. Input is a whole file in memory (file sources read a file as
 * a whole, SPEC §4). Strings that need no unescaping are views into `buf`, so
 * the caller keeps `buf` alive as long as the batch (batch_keep). */
#ifndef IO_READER_H
#define IO_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "eddy.h"

typedef enum parse_mode {
    PARSE_PERMISSIVE = 0, /* malformed fields -> NULL; raw line to corrupt col */
    PARSE_DROPMALFORMED,  /* malformed row dropped, counted */
    PARSE_FAILFAST,       /* error naming file and line */
} parse_mode;

typedef struct read_options {
    char sep;              /* csv: ',' */
    char quote;            /* csv: '"'; 0 disables quoting */
    char escape;           /* csv: '\\' */
    bool header;           /* skip the first line of every file */
    const char *null_value;       /* csv: text read as NULL ("" default) */
    const char *timestamp_format; /* NULL: Spark's default forms (ts_parse) */
    parse_mode mode;
    int corrupt_column;    /* schema index of columnNameOfCorruptRecord
                              (a STRING column), or -1 */
} read_options;

/* Defaults as Spark's: sep ',', quote '"', escape '\\', no header,
 * null_value "", PERMISSIVE, corrupt_column -1. */
void read_options_default(read_options *o);

typedef struct parse_stats {
    uint64_t rows;       /* rows appended */
    uint64_t malformed;  /* malformed records seen (kept or dropped) */
    uint64_t dropped;    /* rows dropped (DROPMALFORMED) */
} parse_stats;

/* Parser position in one file buffer. Zero-initialise (pos 0, line 1) per
 * file. */
typedef struct parse_cursor {
    size_t pos;        /* next byte to read */
    uint64_t line;     /* 1-based line number of `pos` */
    bool header_done;
} parse_cursor;

/* Reads records from buf[cur->pos .. len) and appends rows to `out` until out
 * has `max_rows` rows or the buffer ends. `out` has one column per schema
 * field with the schema's types (batch_new); `needed[i]` == 0 means column i
 * is not read by the plan: the parser leaves it NULL without converting.
 * `file_name` is used in FAILFAST messages ("file:line: malformed CSV
 * record: ..."). Returns 1 when more input remains, 0 at end of buffer, or
 * -EDDY_PARSE (FAILFAST) with err set. A last line without newline, CRLF line
 * ends, empty files, invalid UTF-8 (kept as bytes) and lines longer than 1 MB
 * are all handled. Grows out's columns as needed (batch_reserve).
 * `needed` may be NULL (every column read).
 *
 * CSV choices, as Spark 3.5 (univocity settings Spark uses): an unquoted
 * empty field is NULL; a field equal to null_value is NULL; a quoted empty
 * field is "" (Spark's emptyValue), hence NULL under the default null_value
 * "". Inside quotes, escape+quote and a doubled quote are a literal quote and
 * escape+escape a literal escape; text after a closing quote is appended.
 * Blank (whitespace-only) lines are skipped; the header is the first
 * non-blank record. Records map to the columns other than the corrupt-record
 * one; missing fields are NULL, extra ones ignored (SPEC §4). Columns not
 * needed are not converted, so they cannot make a record malformed, unless
 * the corrupt-record column is needed (Spark then turns column pruning off).
 * The corrupt-record column gets the record's text without its line end. */
int csv_read(const read_options *o, const schema *s, const uint8_t *needed, const char *buf,
             size_t len, const char *file_name, parse_cursor *cur, batch *out,
             uint32_t max_rows, parse_stats *st, eddy_error *err);

/* JSON lines: one object per line; fields matched to the schema by name
 * (case-sensitive first, then case-insensitive, as Spark); unknown fields
 * skipped; nested objects/arrays kept as their JSON text when the column is
 * a STRING, else malformed. Numbers into STRING columns keep their text. A
 * line that is not an object, or a value that cannot convert to the column's
 * type, is malformed. Blank lines are skipped. Same contract as csv_read.
 * Conversions follow Spark's JacksonParser: a fraction into INT/BIGINT, a
 * string into a number or boolean column, or "" into a non-string column is
 * malformed; a JSON number into TIMESTAMP is seconds since the epoch; NaN,
 * Infinity, -Infinity, +INF, -INF (bare or quoted) go into DOUBLE. Nested
 * values into STRING keep their text with whitespace outside strings
 * removed (as Jackson re-serialises it). On a syntax error the whole row is
 * NULL; on a conversion failure only that field. The last duplicate key
 * wins; a key equal to the corrupt-record column's name is ignored. */
int json_read(const read_options *o, const schema *s, const uint8_t *needed, const char *buf,
              size_t len, const char *file_name, parse_cursor *cur, batch *out,
              uint32_t max_rows, parse_stats *st, eddy_error *err);

/* Text: one row per line into the single STRING column `value`; line ends
 * (\n, \r\n) are removed. Same contract. */
int text_read(const read_options *o, const schema *s, const uint8_t *needed, const char *buf,
              size_t len, const char *file_name, parse_cursor *cur, batch *out,
              uint32_t max_rows, parse_stats *st, eddy_error *err);

/* Converts one text field into row `row` of column c (type-directed, Spark's
 * CSV conversion rules: ints/longs/doubles from decimal text, booleans
 * true/false case-insensitive, timestamps via timestamp_format or ts_parse,
 * dates via date_parse). Returns 0, or -1 when the text does not convert
 * (caller applies the parse mode). Strings are stored as views of s. */
int field_convert(const char *s, size_t n, column *c, uint32_t row, const read_options *o);

/* ---- shared by the CSV and JSON parsers; not used elsewhere ---- */

/* Java's Long.parseLong: optional '+'/'-', then ASCII digits only. Returns 0,
 * or -1 on bad syntax or int64 overflow. */
int reader_parse_i64(const char *s, size_t n, int64_t *out);

/* Java's Double.parseDouble (surrounding whitespace, sign, NaN, Infinity,
 * decimal or hex forms, f/F/d/D suffix) plus Spark's CSV spellings "Inf" and
 * "-Inf". Returns 0, or -1 when the text is not a double. */
int reader_parse_double(const char *s, size_t n, double *out);

/* Writes s[0..n) into dst (cap bytes, NUL-terminated) for an error message:
 * bytes outside printable ASCII become '?', and "..." marks a cut. */
void reader_snippet(char *dst, size_t cap, const char *s, size_t n);

#endif
