/* Data types, scalar values, column vectors, batches and schemas: the shapes
 * every layer passes around.
 *
 * A batch is up to BATCH_MAX_ROWS rows held column-wise: one typed array per
 * column plus a byte-per-row validity array (1 = value, 0 = NULL). Strings are
 * (pointer, length) views; the bytes live in the batch's arena or in a buffer
 * the batch keeps alive (e.g. the file it was parsed from). */
#ifndef CORE_TYPES_H
#define CORE_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"

#define BATCH_MAX_ROWS 65536u

/* Spark SQL data types eddy supports. Storage per row:
 *   BOOLEAN uint8_t (0/1), INT int32_t, BIGINT int64_t, DOUBLE double,
 *   STRING strv, TIMESTAMP int64_t µs since 1970-01-01 UTC,
 *   DATE int32_t days since 1970-01-01, WINDOW window_val (µs bounds).
 * TYPE_NULL is the type of a bare NULL literal before coercion. */
typedef enum type_id {
    TYPE_NULL = 0,
    TYPE_BOOLEAN,
    TYPE_INT,
    TYPE_BIGINT,
    TYPE_DOUBLE,
    TYPE_STRING,
    TYPE_TIMESTAMP,
    TYPE_DATE,
    TYPE_WINDOW,
    TYPE_COUNT_
} type_id;

/* A string view: not NUL-terminated; owner is whoever owns the batch/value. */
typedef struct strv {
    const char *ptr;
    uint32_t len;
} strv;

/* Spark's window struct<start: timestamp, end: timestamp>, µs, [start, end). */
typedef struct window_val {
    int64_t start;
    int64_t end;
} window_val;

/* Spark's simpleString name: "string", "int", "bigint", "double", "boolean",
 * "timestamp", "date", "struct<start:timestamp,end:timestamp>", "void". */
const char *type_name(type_id t);

/* Parses a SQL type name (case-insensitive): STRING, VARCHAR, BOOLEAN,
 * INT/INTEGER, BIGINT/LONG, DOUBLE/FLOAT/REAL, TIMESTAMP, DATE. Returns 0 and
 * sets *out, or -1 if unknown. */
int type_parse(const char *name, size_t len, type_id *out);

/* Bytes per row in a column's data array. */
size_t type_width(type_id t);

/* True for INT, BIGINT, DOUBLE. */
bool type_is_numeric(type_id t);

/* A single value: literals, group keys, aggregate results. Strings point into
 * memory owned elsewhere (the plan's arena for literals). */
typedef struct value {
    type_id type;
    bool is_null;
    union {
        bool b;
        int32_t i32; /* INT, DATE */
        int64_t i64; /* BIGINT, TIMESTAMP */
        double f64;
        strv s;
        window_val w;
    } v;
} value;

/* A column vector. `valid` and `data` have room for `cap` rows; the batch's
 * nrows says how many are filled. Both arrays are malloc'd and owned by the
 * column (column_free). */
typedef struct column {
    type_id type;
    uint32_t cap;
    uint8_t *valid; /* 1 = value present, 0 = NULL */
    union {
        void *raw;
        uint8_t *b;
        int32_t *i32;
        int64_t *i64;
        double *f64;
        strv *s;
        window_val *w;
    } data;
} column;

/* Allocates arrays for `cap` rows (contents uninitialised). */
void column_init(column *c, type_id t, uint32_t cap);
/* Grows to at least `cap` rows, keeping contents. */
void column_reserve(column *c, uint32_t cap);
void column_free(column *c);
/* Reads row i as a value (strings are views into the column's storage). */
value column_get(const column *c, uint32_t i);
/* Writes v into row i; v must have the column's type (or be NULL). String
 * bytes are not copied. */
void column_set(column *c, uint32_t i, const value *v);

/* A reference-counted byte buffer (e.g. a whole input file) that several
 * batches' string views can point into. */
typedef struct rcbuf {
    int refs;
    size_t len;
    char *data;     /* the bytes: inline after the header, or a mapping */
    size_t map_len; /* > 0: data is an mmap of map_len bytes (munmap'd) */
    char inline_data[];
} rcbuf;

/* New buffer of len bytes (+1 for a NUL the caller may write), refs = 1. */
rcbuf *rcbuf_new(size_t len);
/* Wraps a read-only mmap of a whole file (len bytes, not NUL-terminated);
 * the mapping is unmapped when the last reference goes. refs = 1. */
rcbuf *rcbuf_mapped(void *map, size_t len);
rcbuf *rcbuf_ref(rcbuf *b);
/* Drops a reference; frees at zero. NULL is a no-op. Not thread-safe: a
 * buffer is shared only by batches of one query thread. */
void rcbuf_unref(rcbuf *b);

/* A batch of rows. Owns its columns and its arena. `keep` holds references to
 * buffers that string views point into (e.g. whole input files), released
 * with the batch. */
typedef struct batch {
    uint32_t nrows;
    uint32_t ncols;
    column *cols;
    arena *arena;
    rcbuf **keep;
    uint32_t nkeep;
} batch;

/* New batch of `ncols` columns of the given types with room for `cap` rows
 * (0 rows filled). Never NULL. Free with batch_free. */
batch *batch_new(uint32_t ncols, const type_id *types, uint32_t cap);
/* Grows every column to at least `cap` rows. */
void batch_reserve(batch *b, uint32_t cap);
/* Adds a reference to buf to the batch (taken with rcbuf_ref by the
 * caller); released by batch_free. */
void batch_keep(batch *b, rcbuf *buf);
void batch_free(batch *b);

/* A named, typed column list. Names are malloc'd and owned by the schema. */
typedef struct field {
    char *name;
    type_id type;
    bool event_time; /* carries a watermark: the source's WATERMARK FOR column,
                        or a window over it (Spark's EventTimeWatermark.delayKey
                        metadata); kept through filters, joins and plain
                        column projections */
} field;

typedef struct schema {
    int n;
    field *fields;
} schema;

void schema_init(schema *s);
void schema_add(schema *s, const char *name, type_id t);
void schema_copy(schema *dst, const schema *src);
void schema_free(schema *s);
/* Case-insensitive lookup; index or -1. */
int schema_find(const schema *s, const char *name);
/* Array of the schema's types, malloc'd, owned by the caller. */
type_id *schema_types(const schema *s);

/* Total ordering used by ORDER BY and min/max: NULLs compare lowest (Spark's
 * ASC NULLS FIRST). Values must have the same type. <0, 0, >0. */
int value_compare(const value *a, const value *b);
/* Equality for grouping: NULL equals NULL (Spark's group-by semantics). */
bool value_equal(const value *a, const value *b);

#endif
