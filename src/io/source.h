/* Sources: where a streaming query's input comes from. One registry entry per
 * format (io/source_registry.c). A source never reads data while planning: it
 * first reserves an offset range for a batch id (recorded in the offset log),
 * then reads exactly that range, so a re-run after a crash reads the same
 * input (Spark's Source.getOffset/getBatch split). */
#ifndef IO_SOURCE_H
#define IO_SOURCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/options.h"
#include "core/types.h"
#include "eddy.h"
#include "io/reader.h"

typedef struct source_open_args {
    const char *name;        /* the CREATE SOURCE name */
    const options *opts;     /* WITH options (format included) */
    const schema *schema;    /* declared columns */
    bool available_now;      /* trigger once/availableNow: only input present at
                                open time is ever planned */
    bool once;               /* trigger once: ignore rate limits */
} source_open_args;

/* Receives the rows of a batch as they are parsed. Takes ownership of `b`.
 * Returns 0 or a negative eddy_code to abort the read. */
typedef int (*source_emit_fn)(void *ctx, batch *b, eddy_error *err);

typedef struct source_read_ctx {
    const uint8_t *needed;   /* per schema column: 0 = the plan never reads it */
    source_emit_fn emit;
    void *emit_ctx;
} source_read_ctx;

/* What a read did, for progress reports. */
typedef struct source_metrics {
    uint64_t rows;
    uint64_t bytes;
    uint64_t files;
    uint64_t malformed;
    uint64_t dropped;
} source_metrics;

/* Recovery: the end offset batch k logged in the checkpoint's offset log (a
 * new reference; NULL for a no-data batch, or on error with err set). */
typedef json_t *(*source_offset_fn)(void *ctx, int64_t k, eddy_error *err);

typedef struct source_ops {
    const char *name;            /* "csv", "json", "text", "rate" */
    const char *const *options;  /* NULL-terminated known option keys */
    /* Fixed schema of the format (text: value STRING; rate: timestamp,
     * value), or NULL when the user declares it. */
    void (*fixed_schema)(schema *out);
    /* Validates options, checks the path exists (-EDDY_IO naming it), sets up
     * discovery. */
    int (*open)(const source_open_args *a, void **state, eddy_error *err);
    /* Discovers new input and reserves the next range, up to the rate limit,
     * as batch `batch_id`. Sets *offset to a new JSON value describing the
     * range's end (caller owns it), or NULL and *has_data = false when there
     * is nothing new. */
    int (*plan_batch)(void *state, int64_t batch_id, json_t **offset, bool *has_data,
                      eddy_error *err);
    /* Reads exactly what plan_batch reserved for batch_id (`offset` is what it
     * returned), emitting batches of at most BATCH_MAX_ROWS rows. */
    int (*read_batch)(void *state, int64_t batch_id, const json_t *offset, source_read_ctx *rc,
                      source_metrics *m, eddy_error *err);
    /* The batch is committed: the source may clean up (cleanSource) and,
     * when checkpointed, compact its log. Called again for the last committed
     * batch after a restart, so it must be idempotent. */
    int (*commit)(void *state, int64_t batch_id, eddy_error *err);
    /* Checkpointed queries only, once after open and before any plan_batch:
     * `dir` (sources/<i>/ of the checkpoint) is the source's own directory
     * from now on; batches [0, last_planned] were planned before this run
     * (-1: none), and offset_of(ctx, k) gives batch k's logged end offset.
     * The source must plan the batches after last_planned as if it had never
     * stopped (file source: never take a file again). Returns 0, or
     * -EDDY_CORRUPT / -EDDY_IO from its log. */
    int (*recover)(void *state, const char *dir, int64_t last_planned,
                   source_offset_fn offset_of, void *ctx, eddy_error *err);
    /* Optional (NULL for every source but kafka). Option keys starting with
     * one of these (NULL-terminated) are accepted as well as `options`:
     * kafka's 'kafka.*' pass-through to the client. */
    const char *const *option_prefixes;
    /* Optional: checks option values at bind time, before anything runs, so
     * that a bad value gets the SQL file's position. Returns 0, or -EDDY_SQL
     * with err set and *key the offending option's key (NULL: none in
     * particular). Must not touch the network. */
    int (*check_options)(const options *o, const char **key, eddy_error *err);
    /* Optional: a schema that depends on the options (kafka). Fills `fixed`
     * when the options fix the whole schema (kafka with valueFormat = 'raw':
     * key, value, topic, partition, offset, timestamp; the user then declares
     * no columns or exactly these), else `hidden`: metadata columns the
     * binder appends after the declared ones (kafka's _key, _topic,
     * _partition, _offset, _timestamp), usable by name anywhere but left out
     * of SELECT *, as Spark's hidden metadata columns are. Both come
     * initialised (empty); the binder frees them. */
    void (*option_schema)(const options *o, schema *fixed, schema *hidden);
    /* Text for progress reports' sources[].description. */
    const char *(*describe)(void *state);
    void (*close)(void *state);
} source_ops;

const source_ops *source_lookup(const char *format);

/* The file source's compacted log (sources/<i>/N.compact, a CKPT_SOURCE
 * payload): {"batchId": N, "files": [[path, batch], ...]}, every file taken
 * in batches 0..N. Parses `len` bytes of JSON and checks the shape; `path`
 * is only used in messages. *out is owned by the caller. Returns 0 or
 * -EDDY_CORRUPT naming what is wrong. Shared with the fuzz target. */
int file_source_log_parse(const char *path, const uint8_t *data, size_t len, json_t **out,
                          eddy_error *err);
const char *const *source_formats(void);

/* Reads every file of a static table (CREATE TABLE) at once with the csv,
 * json or text reader. *out receives an array of batches (caller frees each
 * with batch_free and the array with free), *nout their count. */
int table_load(const char *name, const options *opts, const schema *s, batch ***out, int *nout,
               eddy_error *err);

#endif
