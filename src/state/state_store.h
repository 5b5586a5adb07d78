/* The versioned state store of one stateful operator: after micro-batch N
 * the operator's state is saved as version N, and after a crash any
 * committed version is restored (Spark's HDFSBackedStateStoreProvider on a
 * local file system).
 *
 * Files in the store's directory, each in the checkpoint envelope
 * (state/ckpt_file.h) with kind CKPT_STATE:
 *   <N>.delta     the changes batch N made (the operator's *_serialize_delta)
 *   <N>.snapshot  the whole state after batch N (the operator's *_serialize)
 * N is written in decimal without leading zeros. The payload is a tag byte
 * ('D' delta, 'S' snapshot), the version as u64 little-endian (checked on
 * load, so a file copied under another name is refused), then the
 * operator's bytes.
 *
 * Version N is restored from the latest snapshot S <= N followed by the
 * deltas S+1 .. N. A snapshot is written instead of a delta once
 * `snapshot_interval` versions have passed since the last snapshot (Spark's
 * spark.sql.streaming.stateStore.minDeltasForSnapshot, default 10), so a
 * restore reads at most snapshot_interval files while a commit of a small
 * batch costs one small file. A state of 1 MiB or more also gets a snapshot
 * as soon as the deltas since its last snapshot outweigh that snapshot, so a
 * restore reads at most about twice the state's size (batches that update
 * much of a large state would otherwise pile up deltas several times its
 * size). Spark writes the delta every batch and the
 * snapshot in a background maintenance task; eddy writes one or the other,
 * synchronously, in the batch. */
#ifndef STATE_STATE_STORE_H
#define STATE_STATE_STORE_H

#include <stdint.h>

#include "eddy.h"
#include "exec/agg.h"

struct session_agg;

/* The operator whose state is stored: its handle and how to save and load
 * it. The functions do not keep the buffers they are given. */
typedef struct state_ops {
    void *op;
    /* Appends the whole state to out. */
    void (*snapshot)(const void *op, agg_buf *out);
    /* Appends the changes since the operator's begin_batch to out. */
    void (*delta)(const void *op, agg_buf *out);
    /* Loads what snapshot wrote into the (empty) operator. 0 or a negative
     * eddy_code with err set (-EDDY_CORRUPT for bad bytes). */
    int (*load_snapshot)(void *op, const uint8_t *d, size_t n, eddy_error *err);
    /* Applies what delta wrote. 0 or a negative eddy_code with err set. */
    int (*apply_delta)(void *op, const uint8_t *d, size_t n, eddy_error *err);
} state_ops;

typedef struct state_store state_store;

/* Opens the store kept in `dir`, creating the directory and its parents
 * (mode 0777 before umask) when missing, and lists it once to know which
 * versions may already have files. `ops` is copied; ops->op must outlive
 * the store. snapshot_interval < 1 counts as 1 (a snapshot every version).
 * The store starts at version -1 (empty state); call state_store_restore
 * before committing when the directory may hold an earlier run's versions.
 * On success *out is owned by the caller (state_store_close). Returns 0, or
 * -EDDY_IO naming the directory that cannot be created or read. */
int state_store_open(const char *dir, const state_ops *ops, int snapshot_interval,
                     state_store **out, eddy_error *err);

/* Loads version `version` into the operator, which must be empty.
 * version < 0: nothing is loaded (the state before batch 0). Else the
 * directory is listed, the latest snapshot S <= version is loaded (none:
 * start from the empty state, S = -1) and the deltas S+1 .. version are
 * applied in order. Files of versions above `version` are ignored (left by a
 * batch that never committed; its re-run overwrites them). Returns 0;
 * -EDDY_CORRUPT "state version K of '<dir>' is missing (...)" when a delta
 * of the chain does not exist; ckpt_read's -EDDY_IO / -EDDY_CORRUPT (path
 * and failed check) for a file that cannot be read or fails the envelope
 * check; -EDDY_CORRUPT naming the file and version when its tag or version
 * disagree with its name or the operator refuses its bytes (the operator's
 * message follows). On failure the operator may hold part of the state and
 * should be rebuilt. Afterwards the next commit is version + 1. */
int state_store_restore(state_store *s, int64_t version, eddy_error *err);

/* Saves the operator's state after batch `version` as one ckpt_write (atomic
 * and durable): `version`.snapshot when version - S >= snapshot_interval
 * for the last snapshot S (-1 before any), when `version` does not follow
 * the last restored or committed version (a snapshot needs no chain), or
 * when re-committing at or below S; else `version`.delta (the operator's
 * changes since its begin_batch, which the caller invokes at the start of
 * every batch). Committing a version again (a batch re-run after a crash)
 * overwrites it; a file of the other kind left for that version by an
 * earlier run is removed (a stale snapshot is removed before the delta is
 * written, so it can never shadow it). Returns 0, -EDDY_USAGE for a
 * negative version, or -EDDY_IO from the write or removal. */
int state_store_commit(state_store *s, int64_t version, eddy_error *err);

/* Deletes the files no longer needed to restore `committed_version` or any
 * later version: every file of a version below the latest snapshot S <=
 * committed_version, S's own delta if one exists, and stray temporary files
 * (`.*.tmp`, left by an interrupted ckpt_write). Nothing above
 * committed_version is touched; with no snapshot <= committed_version only
 * temporary files go. Every file is attempted; returns 0, or -EDDY_IO
 * naming the first file (or the directory) that could not be removed
 * (read). Spark's doMaintenance/cleanup, run by the caller between
 * batches. */
int state_store_purge(state_store *s, int64_t committed_version, eddy_error *err);

/* Frees the store (not the operator). NULL is a no-op. */
void state_store_close(state_store *s);

/* Fills *out for a hash aggregation (also streaming deduplication, a
 * hash_agg with no aggregates): hash_agg_serialize, hash_agg_serialize_delta,
 * hash_agg_deserialize and hash_agg_apply_delta, with op = h. Turns on
 * hash_agg_track_removals(h), which deltas need to record evictions. */
void state_ops_hash_agg(hash_agg *h, state_ops *out);

/* The same for a session-window aggregation (session_agg_serialize and
 * friends); turns on session_agg_track_removals(s). */
void state_ops_session_agg(struct session_agg *s, state_ops *out);

#endif
