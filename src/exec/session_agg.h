/* Session-window aggregation: the sessions of a streaming aggregation grouped
 * by session_window(ts, gap), and their aggregate states, kept across
 * micro-batches (the state of Spark's SessionWindowStateStoreRestoreExec /
 * SessionWindowStateStoreSaveExec, merged as MergingSessionsIterator does).
 *
 * Upstream, every input row carries its own session window [ts, ts + gap)
 * (exec/window.h, op_session_window). Here sessions of the same other keys
 * merge: sorted by start, a session [s2, e2) joins the current [s1, e1) when
 * s2 <= e1 (events exactly `gap` apart do merge), and the merged end is
 * max(e1, e2). A new row can extend an existing session or bridge several
 * into one, whose aggregate states are then folded with agg_func.combine.
 *
 * Order of contributions (matters only for first/last): Spark folds the
 * pieces of a session in session-start order, existing state before input on
 * equal starts (MergingSortWithSessionWindowStateIterator); eddy does the
 * same, with rows of equal time in arrival order. Rows given to separate
 * session_agg_update calls count as "state" for the later call. */
#ifndef EXEC_SESSION_AGG_H
#define EXEC_SESSION_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "eddy.h"
#include "exec/agg.h"

typedef struct session_agg session_agg;

/* New empty session aggregation grouped by `nkeys` keys, of which
 * key_types[session_key] is the session window (TYPE_WINDOW); the others
 * follow hash aggregation's grouping equality (NULL equals NULL, -0.0 equals
 * 0.0, all NaNs one key). Copies the arrays. Returns NULL when the shape is
 * not supported: nkeys < 1, session_key out of range or not TYPE_WINDOW, or
 * an aggregate with agg_spec.distinct (Spark refuses distinct aggregates in
 * streaming; the binder reports it). Spark also refuses a session window
 * with no other key ("Global aggregation with session window in streaming
 * query is not supported"): that is the binder's check too; this module
 * handles nkeys == 1 as one group. Owned by the caller; session_agg_free. */
session_agg *session_agg_new(int nkeys, const type_id *key_types, int session_key, int naggs,
                             const agg_spec *aggs);

/* Frees the aggregation and all its sessions. NULL is a no-op. */
void session_agg_free(session_agg *s);

/* Starts a micro-batch: forgets which sessions were updated. */
void session_agg_begin_batch(session_agg *s);

/* Adds n rows: keys[0..nkeys) and args[0..naggs) are columns of n rows
 * (args[i] is NULL for count(*)); keys[session_key] holds each row's own
 * window [start, end) in µs. Rows whose session window is NULL, or empty
 * (end <= start: Spark filters those rows out for a dynamic gap <= 0), are
 * skipped. Late rows are not dropped here: the caller filters them against
 * the watermark first. Key strings are copied into the aggregation's own
 * storage. Every session created, extended, bridged or merely updated is
 * marked updated for session_agg_output(s, true). Cost: O(n) to group and
 * bucket the rows (plus a sort of a key's rows when they are out of time
 * order), O(log sessions-of-the-key) to find where a run of a key's rows
 * lands, and one pass of each aggregate's update over the whole call. */
void session_agg_update(session_agg *s, const column *keys, const column *const *args,
                        uint32_t n);

/* Result rows: nkeys key columns (the session window, TYPE_WINDOW, at
 * session_key) then naggs finalized aggregate columns of their ret_type.
 * only_updated: just the live sessions created, extended, merged or updated
 * since session_agg_begin_batch (update mode), else every session (complete
 * mode). Order: other keys in first-seen order, then session start
 * ascending. The batch is new and owned by the caller (batch_free); its
 * strings are copies in its own arena, valid whatever happens to the
 * aggregation afterwards. */
batch *session_agg_output(session_agg *s, bool only_updated);

/* Removes every session whose end <= watermark_us (Spark's
 * watermarkPredicateForKeys on the session struct's end) and returns them
 * in the output shape and order (append mode emits them), or NULL when
 * want_rows is false (update mode evicts silently). With want_rows and
 * nothing expired, returns an empty batch (0 rows), not NULL. The batch is
 * owned by the caller. Memory of removed sessions is reclaimed by
 * compacting the aggregation's arena once it is mostly dead. */
batch *session_agg_take(session_agg *s, int64_t watermark_us, bool want_rows);

/* True when some session has end <= watermark_us, i.e. a no-data batch at
 * that watermark would emit or evict something. O(keys). */
bool session_agg_has_expired(const session_agg *s, int64_t watermark_us);

/* Live sessions (Spark's numRowsTotal); live sessions updated since
 * session_agg_begin_batch (numRowsUpdated); bytes held (memoryUsedBytes,
 * approximate: arena, hash table, per-key session vectors, lists and
 * scratch). */
uint64_t session_agg_nsessions(const session_agg *s);
uint64_t session_agg_nupdated(const session_agg *s);
size_t session_agg_memory(const session_agg *s);

/* Appends the whole aggregation to `out`: a format version byte (1), the
 * key types, session_key and aggregates (checked on load), the number of
 * sessions, then every session in output order with all its keys (the
 * session window as start and end, µs) and its aggregate states, strings
 * inline. Which sessions were updated in the current batch is not saved. */
void session_agg_serialize(const session_agg *s, agg_buf *out);

/* Loads sessions written by session_agg_serialize into `s`, which must be
 * empty and built with the same keys, session_key and aggregates. Returns
 * 0; -EDDY_CORRUPT with err saying which check failed (version, shape,
 * truncation, an empty session, sessions of a key out of order or
 * overlapping, trailing bytes); -EDDY_RUNTIME when `s` is not empty. On
 * failure `s` may hold some sessions and should be freed. */
int session_agg_deserialize(session_agg *s, const uint8_t *data, size_t len, eddy_error *err);

/* Turns on (or off) recording of removals for session_agg_serialize_delta.
 * While on, session_agg_take notes every key (the grouping keys other than
 * the session window) that lost sessions: a key left with sessions is
 * written whole in the next delta, a key left with none is appended to a
 * per-batch list of removed keys that session_agg_begin_batch clears. Off
 * by default, so a query without a checkpoint pays nothing; turning it off
 * drops both lists. state_ops_session_agg (state/state_store.h) turns it
 * on. */
void session_agg_track_removals(session_agg *s, bool on);

/* Appends the changes since session_agg_begin_batch to `out` (one state
 * store delta) at the granularity of a key: session_agg_serialize's header
 * with the delta format byte (0x81), then the removed keys (u64 count, then
 * each key's present flags and cells, session window left out), then every
 * key that still has sessions and had one updated, merged or (with
 * tracking on) expired since begin_batch (u64 count, then per key: its
 * values, u32 number of sessions, and each session as start, end (µs) and
 * states), keys in first-seen order. Cost: O(touched keys' sessions +
 * updated sessions), plus sorting the touched keys. */
void session_agg_serialize_delta(const session_agg *s, agg_buf *out);

/* Applies a delta written by session_agg_serialize_delta of an aggregation
 * with the same keys, session_key and aggregates: first the removed keys
 * are deleted with their sessions (absent ones are ignored), then each key
 * of the delta gets the delta's session list in place of its own (a new key
 * is appended), so that first-seen order, sessions and states equal the
 * uninterrupted run's and session_agg_serialize gives the same bytes.
 * Afterwards nothing is marked updated (it ends with
 * session_agg_begin_batch): call it between batches. Returns 0, or
 * -EDDY_CORRUPT with err saying which check failed (format byte, shape,
 * NULL flag, a key with no sessions, an empty session, sessions out of
 * order or overlapping, truncation, trailing bytes); on failure `s` may
 * hold part of the delta and should be freed. */
int session_agg_apply_delta(session_agg *s, const uint8_t *data, size_t len, eddy_error *err);

#endif
