/* The live view of a run, for the web UI and HTTP API (SPEC §7, docs/HTTP.md):
 * per query its status, its recent progress reports and its current result
 * table, published by the query threads after each batch and read by the
 * web server's threads.
 *
 * The engine never waits on a reader. A query thread builds everything it
 * publishes (the result view, the JSON text) on its own, then holds the
 * lock only to swap in a reference-counted string; readers hold the lock
 * only to take references. An event stream (live_cursor) follows the
 * changes, coalescing what a slow client missed: the latest result of each
 * query and its last LIVE_PROGRESS_BURST progress reports. */
#ifndef RUNTIME_LIVE_H
#define RUNTIME_LIVE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/types.h"
#include "plan/plan.h"

#define LIVE_RESULT_ROWS 1000   /* rows a result view keeps */
#define LIVE_CELL_BYTES 1024    /* longer string cells are cut, with "…" */
#define LIVE_PROGRESS_KEEP 100  /* progress reports kept per query (Spark's
                                   spark.sql.streaming.numRecentProgressUpdates) */
#define LIVE_PROGRESS_BURST 20  /* reports an event stream sends per query at most
                                   per wake-up */

typedef struct live live;
typedef struct live_query live_query;
typedef struct live_cursor live_cursor;

/* Status of a query, as the API spells it: "ACTIVE", "STOPPED", "FAILED". */
typedef enum live_status { LIVE_ACTIVE, LIVE_STOPPED, LIVE_FAILED } live_status;

/* An empty live view. Never fails (allocation failure aborts, core/mem.h). */
live *live_new(void);

/* Frees the view and every query in it. Call after live_close, once no
 * reader (server thread, cursor) is left. NULL is a no-op. */
void live_free(live *l);

/* Registers query q (its name, output mode, sink, result schema and chart
 * choice; q must outlive the view) with its id and runId (UUID strings).
 * Status starts ACTIVE, batchId -1. The returned handle belongs to l; the
 * query's thread is the only one to publish through it. */
live_query *live_add(live *l, const query_plan *q, const char *id, const char *run_id);

/* Publishes batch `batch_id`'s output (`nparts` batches of q's result
 * schema) into the query's result view, following its output mode
 * (docs/HTTP.md: complete replaces, update upserts by the grouping keys,
 * append keeps the last LIVE_RESULT_ROWS rows), and makes a `result` event.
 * `table_rows` is the size of the whole result table when the caller knows
 * it (update mode: the groups in the aggregation's state), else -1; it
 * becomes totalRows in update mode, where the view tracks only the keys it
 * shows. The event waits for the batch's progress (live_publish_progress),
 * so both go out in one send. Copies what it keeps; parts are not
 * referenced after it returns. Cost: O(rows of the batch) in update mode,
 * O(LIVE_RESULT_ROWS) otherwise. */
void live_publish_result(live_query *lq, int64_t batch_id, batch *const *parts, int nparts,
                         int64_t table_rows);

/* Publishes one StreamingQueryProgress as compact JSON text (`text`,
 * malloc'd, e.g. by json_dumps; ownership passes to the view) and makes a
 * `progress` event. This is what wakes event streams after a batch: the
 * batch's result (live_publish_result, called before) goes out with it. */
void live_publish_progress(live_query *lq, char *text);

/* Sets the status; `exception` is the error text for LIVE_FAILED (copied),
 * else NULL. Makes a `status` event. */
void live_set_status(live_query *lq, live_status status, const char *exception);

/* The run is over: event streams send what is left, then end. Idempotent. */
void live_close(live *l);

/* Reader side. Each returns a malloc'd NUL-terminated JSON text (length in
 * *len) owned by the caller, or NULL when no query has that name (matched
 * case-insensitively, as sink names are). */
char *live_queries_json(live *l, size_t *len);          /* GET /api/v1/queries */
char *live_progress_json(live *l, const char *name, size_t *len); /* .../progress */
char *live_result_json(live *l, const char *name, size_t *len);   /* .../result */

/* A position in the event stream, starting at the present: the first call
 * to live_cursor_next returns only what changes afterwards. */
live_cursor *live_cursor_new(live *l);
void live_cursor_free(live_cursor *c);

/* Waits up to `wait_ms` for changes since the cursor's position and formats
 * them as Server-Sent Events text (`event: NAME\ndata: JSON\n\n` each) in a
 * malloc'd buffer *out of *len bytes, advancing the cursor. Returns 1 with
 * events, 0 on timeout (nothing new), -1 when the view is closed and the
 * cursor has sent everything (the stream should end). */
int live_cursor_next(live_cursor *c, int wait_ms, char **out, size_t *len);

/* Output column i of q is a grouping key (its value depends only on the
 * aggregation's keys), so an update-mode result view upserts on those
 * columns. Fills is_key[0..q->root->out.n); returns how many are keys (0
 * without an aggregation). */
int live_key_columns(const query_plan *q, bool *is_key);

/* Every grouping key of q's aggregation is shown as it is by some output
 * column (a bare reference, or window.start/end of a window key), so the
 * key columns tell the result's rows apart and an update-mode view may
 * upsert on them. False without an aggregation. */
bool live_keys_identify_rows(const query_plan *q);

#endif
