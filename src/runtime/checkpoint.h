/* A streaming query's checkpoint directory (SPEC §6, Spark's
 * MicroBatchExecution with its OffsetSeqLog and CommitLog):
 *
 *   metadata          the query id and the query's signature (what must not
 *                     change across restarts: source, output mode, stateful
 *                     operator, grouping keys, aggregates)
 *   offsets/N         written before batch N runs (the write-ahead log): the
 *                     source's end offset, the batch's watermark and
 *                     timestamp, the settings a restart must keep
 *   commits/N         written after batch N's sink accepted its rows: the
 *                     watermark and max event time for the next batch
 *   sources/0/        the source's own log (file source: compacted list of
 *                     files taken)
 *   state/0/          the stateful operator's versions (state_store.h)
 *
 * Every file is a ckpt_file envelope (state/ckpt_file.h) around a JSON
 * payload (state files: binary), so torn or corrupted files are detected
 * and reported, never used. To read one by hand: `tail -c +33 offsets/3`.
 *
 * Recovery follows Spark's rule: offsets/N+1 is only written after
 * commits/N, so with L the last logged batch, either commits/L exists (resume
 * at L+1 from state version L) or commits/L-1 does (re-run batch L with
 * exactly the logged offsets, from state version L-1). Anything else is a
 * damaged checkpoint and is refused. */
#ifndef RUNTIME_CHECKPOINT_H
#define RUNTIME_CHECKPOINT_H

#include <jansson.h>
#include <stdint.h>

#include "eddy.h"

/* Spark's spark.sql.streaming.minBatchesToRetain: offsets/commits entries
 * kept behind the last committed batch. */
#define CHECKPOINT_RETAIN_BATCHES 100

typedef struct checkpoint checkpoint;

/* Where a query resumes, read from its checkpoint at open. */
typedef struct checkpoint_resume {
    int64_t last_planned;   /* highest N with offsets/N; -1: new checkpoint */
    int64_t last_committed; /* highest N with commits/N; -1: none */
    json_t *offsets;        /* offsets/last_planned (owned; NULL if none) */
    json_t *commit;         /* commits/last_committed (owned; NULL if none) */
} checkpoint_resume;

/* Opens (creating when absent) the checkpoint in `dir` for a query whose
 * signature is `signature` (a JSON object of named parts; not consumed).
 * id_out holds the run's fresh query id (36-char UUID): a new checkpoint's
 * metadata records it; an existing checkpoint's id replaces it (a query
 * keeps its id across restarts, as in Spark). An existing one must have been
 * written for the same
 * signature: a part that differs is -EDDY_RUNTIME "checkpoint DIR was
 * written by a different query: the PART changed (checkpoint: X, query: Y)".
 * Fills *resume (free its JSON with checkpoint_resume_free). Returns 0,
 * -EDDY_IO (cannot create or list), or -EDDY_CORRUPT naming the damaged
 * file and what failed (checksum, JSON shape, missing commit or metadata).
 * Leftover temporary files of an interrupted write are removed. */
int checkpoint_open(const char *dir, const json_t *signature, char id_out[40],
                    checkpoint **out, checkpoint_resume *resume, eddy_error *err);

void checkpoint_resume_free(checkpoint_resume *r);

/* Writes offsets/N durably. `entry` must pass checkpoint_parse_offsets.
 * Returns 0 or -EDDY_IO. */
int checkpoint_write_offsets(checkpoint *c, int64_t batch_id, const json_t *entry,
                             eddy_error *err);

/* Reads and checks offsets/N. *out is owned by the caller. Returns 0,
 * -EDDY_IO (missing: "does not exist") or -EDDY_CORRUPT. */
int checkpoint_read_offsets(checkpoint *c, int64_t batch_id, json_t **out, eddy_error *err);

/* Writes commits/N durably. Returns 0 or -EDDY_IO. */
int checkpoint_write_commit(checkpoint *c, int64_t batch_id, const json_t *entry,
                            eddy_error *err);

/* Retention: deletes offsets/K and commits/K for K < committed + 1 -
 * CHECKPOINT_RETAIN_BATCHES. Returns 0 or -EDDY_IO. */
int checkpoint_purge(checkpoint *c, int64_t committed, eddy_error *err);

/* The checkpoint's directory, and those of the source's log (sources/0)
 * and the stateful operator's state (state/0). Owned by c. */
const char *checkpoint_dir(const checkpoint *c);
const char *checkpoint_source_dir(const checkpoint *c);
const char *checkpoint_state_dir(const checkpoint *c);

void checkpoint_close(checkpoint *c);

/* Payload checks, shared by the readers and the fuzz target. Each parses
 * `len` bytes of JSON text (not NUL-terminated) and checks its shape;
 * `path` is only used in messages. On success *out owns the object.
 * Returns 0 or -EDDY_CORRUPT saying which field is missing or wrong.
 *   metadata:  {"id": "<uuid>", "query": {...}}
 *   offsets:   {"batchId": N, "batchTimestampMs": ms, "batchWatermarkMs": ms,
 *               "conf": {...}, "source": <offset object> | null}
 *              (null: a no-data batch)
 *   commit:    {"nextBatchWatermarkMs": ms, "maxEventTimeMs": ms | null} */
int checkpoint_parse_metadata(const char *path, const uint8_t *data, size_t len, json_t **out,
                              eddy_error *err);
int checkpoint_parse_offsets(const char *path, const uint8_t *data, size_t len, json_t **out,
                             eddy_error *err);
int checkpoint_parse_commit(const char *path, const uint8_t *data, size_t len, json_t **out,
                            eddy_error *err);

#endif
