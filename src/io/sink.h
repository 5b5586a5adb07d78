/* Sinks: where a query's result rows go each micro-batch. One registry entry
 * per format (io/sink_registry.c), fluent-bit style; a new sink is one file
 * plus one table line. */
#ifndef IO_SINK_H
#define IO_SINK_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/options.h"
#include "core/types.h"
#include "eddy.h"

/* Spark's output modes. */
typedef enum output_mode {
    OUTPUT_APPEND = 0,
    OUTPUT_UPDATE = 1,
    OUTPUT_COMPLETE = 2,
} output_mode;

/* "append", "update", "complete". */
const char *output_mode_name(output_mode m);
/* Case-insensitive parse; 0 or -1. */
int output_mode_parse(const char *s, output_mode *out);

typedef struct sink_open_args {
    const char *query_name;   /* the sink's name from CREATE SINK */
    const options *opts;      /* the WITH options (format included) */
    const schema *schema;     /* result columns */
    output_mode mode;
    FILE *console;            /* where console output goes (stdout) */
} sink_open_args;

typedef struct sink_ops {
    const char *name;             /* format: "console", "memory", "csv", "json" */
    const char *const *options;   /* NULL-terminated keys this sink knows, besides
                                     the common ones every sink takes (format,
                                     outputMode, trigger, checkpointLocation,
                                     queryName, chart) */
    unsigned modes;               /* bit (1 << output_mode) per supported mode */
    bool needs_checkpoint;        /* refuse to run without a checkpoint (file
                                     sinks, as Spark: their commit log is keyed
                                     by batch id, which restarts at 0 without
                                     one) */
    /* Validates options and prepares; *state is the sink's own. Returns 0 or
     * -EDDY_SQL (bad option value) / -EDDY_IO with err set. */
    int (*open)(const sink_open_args *args, void **state, eddy_error *err);
    /* Writes the rows of micro-batch `batch_id`: `nparts` batches with the
     * result schema (nparts may be 0: an empty batch still prints for the
     * console, as Spark does). Must be idempotent per batch_id where the
     * format allows (file sinks: deterministic part names). The sink does not
     * keep pointers into parts after returning. Returns 0 or -EDDY_IO. */
    int (*add_batch)(void *state, int64_t batch_id, batch *const *parts, int nparts,
                     eddy_error *err);
    void (*close)(void *state);
    /* Optional (NULL for every sink but kafka). Called once by the runtime
     * after open and after the query's checkpoint is opened, before the
     * first add_batch: `query_id` is the query's id (36-char UUID, stable
     * across restarts when there is a checkpoint, fresh per run otherwise),
     * `checkpoint_dir` the checkpoint directory or NULL without one. A sink
     * that must recognise a batch it already wrote before a crash (kafka
     * with transactions: its commit is not atomic with commits/N) keeps its
     * own log under checkpoint_dir/sinks/0/. Both strings are only valid
     * during the call. Returns 0, or -EDDY_IO / -EDDY_CORRUPT with err
     * set. */
    int (*recover)(void *state, const char *query_id, const char *checkpoint_dir,
                   eddy_error *err);
} sink_ops;

/* Case-insensitive lookup by format; NULL if unknown. */
const sink_ops *sink_lookup(const char *format);
/* NULL-terminated list of formats (for suggestions). */
const char *const *sink_formats(void);

/* Memory sink access (HTTP API, tests, C API): the current result table of
 * the memory sink named `query_name`, as rows of values rendered to text by
 * value_to_text, under a lock. Calls fn(ctx, ncols, col_names, nrows, cells,
 * batch_id) where cells is row-major nrows*ncols (NULL cell pointer for NULL)
 * and batch_id is the last batch added (-1 before the first). The table is:
 * complete mode, the last batch's rows; append/update, every batch's rows in
 * order (Spark's MemorySink). The strings are valid only during the call, and
 * fn must not call back into the memory sink functions. Returns 0, or -1 when
 * no memory sink has that name. */
int memory_sink_read(const char *query_name,
                     void (*fn)(void *ctx, int ncols, const char *const *col_names,
                                uint64_t nrows, const char *const *cells, int64_t batch_id),
                     void *ctx);

/* As memory_sink_read, with typed values instead of text: calls
 * fn(ctx, result_schema, nrows, cells, batch_id) under the sink's lock, cells
 * row-major nrows * schema->n. Everything passed to fn (string bytes
 * included) is valid only during the call. Returns 0, or -1 when no memory
 * sink has that name. */
int memory_sink_read_values(const char *query_name,
                            void (*fn)(void *ctx, const schema *result_schema, uint64_t nrows,
                                       const value *cells, int64_t batch_id),
                            void *ctx);

#endif
