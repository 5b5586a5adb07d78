/* Logical plans: one chain of operators per streaming query, from the source
 * scan up to the last projection, as the binder (sql/binder.c) builds them.
 * The runtime executes the chain directly: nodes below the aggregation run
 * per input chunk, the aggregation keeps state across micro-batches, nodes
 * above it run on the aggregation's output each batch. */
#ifndef PLAN_PLAN_H
#define PLAN_PLAN_H

#include <stdbool.h>
#include <stdio.h>

#include "core/arena.h"
#include "core/options.h"
#include "core/types.h"
#include "exec/agg.h"
#include "io/sink.h"
#include "plan/expr.h"

typedef enum plan_kind {
    PLAN_SCAN,      /* a streaming source: output = the source's schema */
    PLAN_FILTER,    /* predicate; output = input schema */
    PLAN_PROJECT,   /* exprs; output = one column per expr */
    PLAN_AGGREGATE, /* keys then aggregates; stateful across batches */
    PLAN_SORT,      /* complete mode only */
    PLAN_LIMIT,     /* complete mode only */
    PLAN_WINDOW,    /* window() / session_window(): appends the window column
                       (rows repeated for sliding windows); Spark's
                       TimeWindowing / SessionWindowing rewrite */
    PLAN_JOIN,      /* stream-static join: output = child's columns then the
                       static table's; Spark's broadcast hash join */
} plan_kind;

typedef struct plan_node {
    plan_kind kind;
    struct plan_node *child; /* NULL for SCAN */
    schema out;              /* output columns (owned) */

    int source;              /* SCAN: index in the pipeline's source list */
    expr *predicate;         /* FILTER */
    expr **exprs;            /* PROJECT: nexprs expressions over the child */
    int nexprs;

    expr **keys;             /* AGGREGATE: grouping expressions over the child */
    int nkeys;
    expr **agg_args;         /* AGGREGATE: argument per aggregate (NULL: count(*)) */
    agg_spec *aggs;
    int naggs;
    bool dedup;              /* AGGREGATE from SELECT DISTINCT without
                                aggregates: emits each distinct row once, when
                                first seen (Spark's Deduplicate) */
    int wm_key;              /* AGGREGATE: index of the key that carries the
                                watermark (a window over the event-time column,
                                or that column itself), or -1: decides late-row
                                drops, append emission and eviction */
    int session_key;         /* AGGREGATE: index of the session_window key, or -1 */

    expr *time_col;          /* WINDOW: the event-time expression over the child */
    int64_t win_size_us;     /* WINDOW: window duration (session: the gap) */
    int64_t win_slide_us;    /* WINDOW: slide (= size for tumbling) */
    int64_t win_start_us;    /* WINDOW: start offset, |start| < slide */
    bool session;            /* WINDOW: session_window: [ts, ts + gap) per row */

    int table;               /* JOIN: index in the pipeline's table list */
    const char *table_name;  /* JOIN: the table's name (plan arena) */
    bool left_outer;         /* JOIN: LEFT OUTER (else INNER) */
    expr **probe_keys;       /* JOIN: equi-join keys over the child ... */
    expr **build_keys;       /* ... and the same-typed keys over the table */
    int njoin_keys;
    expr *residual;          /* JOIN: rest of ON over the joined row, or NULL */

    expr **sort_keys;        /* SORT */
    bool *sort_desc;
    bool *sort_nulls_first;
    int nsort;
    long long limit;         /* LIMIT */
} plan_node;

/* Trigger kinds (Spark's Trigger): default (next batch as soon as data is
 * there), processing time (every interval_us), once, availableNow. */
typedef enum trigger_kind {
    TRIGGER_DEFAULT,
    TRIGGER_PROCESSING_TIME,
    TRIGGER_ONCE,
    TRIGGER_AVAILABLE_NOW,
} trigger_kind;

typedef struct trigger_spec {
    trigger_kind kind;
    int64_t interval_us; /* PROCESSING_TIME */
} trigger_spec;

/* Parses the `trigger` option: "5 seconds", "once", "availableNow" (case-
 * insensitive), NULL = default. Returns 0 or -1. */
int trigger_parse(const char *s, trigger_spec *out);

/* One streaming query: a CREATE SINK. */
typedef struct query_plan {
    const char *name;        /* sink name (plan arena) */
    plan_node *root;         /* top of the chain */
    plan_node *scan;         /* bottom of the chain */
    plan_node *agg;          /* the aggregation, or NULL */
    output_mode mode;
    trigger_spec trigger;
    const sink_ops *sink;
    options sink_opts;       /* owned */
    uint8_t *needed;         /* per source column: read by the plan (malloc'd) */
    int line, col;           /* position of CREATE SINK */
} query_plan;

/* New node in arena a with an empty schema; caller fills it. */
plan_node *plan_node_new(arena *a, plan_kind kind, plan_node *child);

/* Frees what nodes own outside the arena (schemas, arrays) down the chain. */
void plan_free(plan_node *root);

/* Writes the logical plan (Spark-like tree, one operator a line, top first)
 * and then the physical plan (the operators as the runtime executes them:
 * per-chunk stages, state store, output) of one query to f. */
void plan_explain(const query_plan *q, const char *source_name, FILE *f);

#endif
