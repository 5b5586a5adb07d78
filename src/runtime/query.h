/* A running streaming query: the micro-batch loop (Spark's
 * MicroBatchExecution) for one CREATE SINK: trigger timing, planning a batch
 * from the source's new offsets, running the plan chain over the batch's
 * chunks, handing the result to the sink, committing, and reporting
 * progress. */
#ifndef RUNTIME_QUERY_H
#define RUNTIME_QUERY_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "eddy.h"
#include "exec/agg.h"
#include "plan/plan.h"
#include "sql/binder.h"

/* Shared by every query of one run. */
typedef struct run_shared {
    FILE *progress;                 /* --progress file or NULL */
    pthread_mutex_t progress_lock;  /* serialises progress lines */
    pthread_mutex_t console_lock;   /* serialises console sink output */
    bool available_now;             /* --available-now */
    int shuffle_partitions;         /* spark.sql.shuffle.partitions (200) */
    FILE *console;                  /* stdout */
    const char *checkpoint_root;    /* --checkpoint DIR, or NULL: a query
                                       without checkpointLocation uses
                                       DIR/<query name> */
    batch ***tables;                /* static tables, loaded at start: table i is
                                       ntable_batches[i] batches; they outlive
                                       every query */
    const int *ntable_batches;
    struct live *live;              /* the web UI's live view (runtime/live.h),
                                       or NULL without a UI */
} run_shared;

typedef enum query_status { QUERY_ACTIVE, QUERY_STOPPED, QUERY_FAILED } query_status;

typedef struct query_rt {
    const bound_pipeline *bp;
    const query_plan *q;
    const catalog_source *src;
    run_shared *shared;
    trigger_spec trigger;

    void *src_state;
    void *sink_state;
    hash_agg *agg;           /* the aggregation's state (dedup too), or NULL */
    struct session_agg *sagg; /* a session-window aggregation's state, or NULL */
    struct hash_join *join;  /* the stream-static join, or NULL */
    int64_t batch_id;        /* next batch to run */
    int shuffle_partitions;  /* spark.sql.shuffle.partitions; a checkpoint's
                                value wins over the run's, as in Spark */

    /* Checkpointing (runtime/checkpoint.h), all NULL without a checkpoint. */
    struct checkpoint *ckpt;
    struct state_store *store; /* the stateful operator's versions */
    json_t *replay;          /* offsets entry of a batch logged but not
                                committed before a crash: run first, with
                                exactly that input (owned) */

    /* Event time (SPEC §3). Watermarks are kept in ms, as Spark keeps them
     * (EventTimeWatermarkExec divides event times by 1000). */
    bool has_watermark;      /* the source declares WATERMARK FOR */
    int64_t wm_delay_ms;
    int64_t max_event_ms;    /* max event time seen in batches so far */
    bool seen_event;
    int64_t watermark_ms;    /* the watermark the next batch runs with */
    int64_t last_batch_wm_ms; /* the watermark the last batch ran with */
    int64_t nodata_checked_wm_ms; /* watermark at which state was found to hold
                                     nothing expired (INT64_MIN: not checked) */
    bool evicts;             /* stateful operator with a watermarked key in
                                append or update mode: drops late rows,
                                evicts state */
    char id[40], run_id[40]; /* UUIDs */
    int64_t last_trigger_start_us;

    struct live_query *lq;   /* this query in shared->live, or NULL */
    query_status status;
    eddy_error err;          /* set when status is QUERY_FAILED */
    pthread_t thread;
} query_rt;

/* Opens the query's source and sink (checking the source path exists) and
 * sets up state. With a checkpoint (the sink's checkpointLocation, or
 * shared->checkpoint_root/<name>), recovers from it: the state of the last
 * committed batch is restored, the watermark too, and a batch logged but not
 * committed is set up to re-run with its logged input (SPEC §6). csv and json
 * sinks need a checkpoint, as in Spark. Returns 0, -EDDY_IO for a missing
 * path or an unwritable checkpoint, -EDDY_SQL for a bad option value,
 * -EDDY_CORRUPT for a damaged checkpoint, -EDDY_RUNTIME for a checkpoint
 * written by a different query; err names the query. On failure nothing is
 * left open. */
int query_open(query_rt *r, const bound_pipeline *bp, const query_plan *q, run_shared *shared,
               eddy_error *err);

/* Runs the micro-batch loop until the trigger is done or a stop is requested
 * (core/stop.h). Returns 0 after a clean stop, or -EDDY_RUNTIME with err
 * naming the query, the batch and the cause. Blocks. */
int query_run(query_rt *r, eddy_error *err);

/* Closes source and sink and frees the state. */
void query_close(query_rt *r);

#endif
