/* Aggregate functions and hash aggregation.
 *
 * Each aggregate is one struct (DuckDB's shape): a fixed-size state per group,
 * init/update/combine/finalize, and serialize/deserialize for the state store.
 * Hash aggregation keeps groups across micro-batches: it *is* the streaming
 * aggregation's state (Spark's StateStore for StateStoreSaveExec). */
#ifndef EXEC_AGG_H
#define EXEC_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/arena.h"
#include "core/types.h"
#include "eddy.h"

/* A growable byte buffer that serialized states are appended to. Zero-
 * initialise; `data` is malloc'd and owned by whoever holds the buffer
 * (agg_buf_free). Multi-byte numbers are written little-endian. */
typedef struct agg_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
} agg_buf;

void agg_buf_put(agg_buf *b, const void *p, size_t n);
void agg_buf_put_u8(agg_buf *b, uint8_t v);
void agg_buf_put_u32(agg_buf *b, uint32_t v);
void agg_buf_put_u64(agg_buf *b, uint64_t v);
void agg_buf_put_f64(agg_buf *b, double v);
/* A string as u32 length then the bytes. */
void agg_buf_put_str(agg_buf *b, const char *p, uint32_t len);
void agg_buf_free(agg_buf *b);

/* A cursor over serialized bytes. Reads past `end` fail and set `bad`; after
 * that every read fails, so a reader can check once at the end. */
typedef struct agg_reader {
    const uint8_t *p;
    const uint8_t *end;
    bool bad;
} agg_reader;

bool agg_read(agg_reader *r, void *dst, size_t n);
uint8_t agg_read_u8(agg_reader *r);
uint32_t agg_read_u32(agg_reader *r);
uint64_t agg_read_u64(agg_reader *r);
double agg_read_f64(agg_reader *r);
/* Reads a string written by agg_buf_put_str, copying its bytes into `a`
 * (NUL-terminated there). Returns an empty view and sets bad on truncation. */
strv agg_read_str(agg_reader *r, arena *a);

typedef struct agg_func {
    const char *name; /* Spark name: count, sum, avg, min, max, first, last,
                         stddev, approx_count_distinct ("mean" and
                         "stddev_samp" are aliases in the lookup) */
    /* Result type for an argument type; -1 when not allowed (sum of string).
     * count(*) is looked up with arg TYPE_NULL. Spark's rules: count ->
     * bigint; sum(int/bigint) -> bigint, sum(double) -> double; avg, stddev ->
     * double; min/max/first/last -> arg type; approx_count_distinct -> bigint. */
    int (*resolve)(type_id arg, type_id *ret);
    /* Bytes of state per group for this argument type (distinct variants
     * may keep a pointer to out-of-line data). */
    size_t (*state_size)(type_id arg);
    void (*init)(void *state, type_id arg);
    /* Adds rows [0, n) of `arg` (NULL for count(*)) to the states
     * rows[i] + offset. Strings that must be kept are copied into `a` (the
     * aggregation's arena). NULL inputs are skipped as Spark does (first/last
     * keep Spark's ignoreNulls=false default: first() takes the first value
     * even if NULL). */
    void (*update)(char *const *rows, size_t offset, const column *arg, uint32_t n,
                   type_id argt, arena *a);
    /* Merges src into dst (parallel partial aggregation). src holds rows that
     * come after dst's in input order (matters for first/last). */
    void (*combine)(void *dst, const void *src, type_id arg, arena *a);
    /* Writes the result for one state into out[row] (out has the resolved type).
     * Strings in the result point into the state's storage. */
    void (*finalize)(const void *state, type_id arg, column *out, uint32_t row);
    /* Appends the state to `out`, strings inline (for checkpoints). */
    void (*serialize)(const void *state, type_id arg, agg_buf *out);
    /* Reads a state written by serialize into `state` (state_size bytes, not
     * initialised), copying strings into `a`. Returns 0, or -1 when the bytes
     * are truncated or invalid. */
    int (*deserialize)(void *state, type_id arg, agg_reader *in, arena *a);
} agg_func;

/* Case-insensitive lookup of an aggregate by name; NULL if not an aggregate.
 * approx_count_distinct is the default rsd = 0.05 variant. */
const agg_func *agg_lookup(const char *name);

/* NULL-terminated static list of aggregate names (for suggestions). */
const char *const *agg_names(void);

/* approx_count_distinct(x, rsd): Spark's HyperLogLogPlusPlus with precision
 * p = ceil(2 * log2(1.106 / rsd)), one byte per register (2^p bytes of state
 * per group). Returns NULL when p falls outside [4, 18] (Spark rejects p < 4
 * with "HLL++ requires at least 4 bits for addressing"; eddy also caps the
 * state at 256 KiB per group). The binder uses this when a second (literal)
 * argument is given. */
const agg_func *agg_approx_count_distinct(double rsd);

/* The registry entries (agg_basic.c, agg_stddev.c, agg_hll.c). */
extern const agg_func agg_count;
extern const agg_func agg_sum;
extern const agg_func agg_avg;
extern const agg_func agg_min;
extern const agg_func agg_max;
extern const agg_func agg_first;
extern const agg_func agg_last;
extern const agg_func agg_stddev;

/* One aggregate column of a hash aggregation. */
typedef struct agg_spec {
    const agg_func *fn;
    type_id arg_type;   /* TYPE_NULL for count(*) */
    bool distinct;      /* count(DISTINCT x), sum(DISTINCT x), ...: any
                           aggregate works; its input is the group's set of
                           distinct non-NULL values */
    type_id ret_type;
} agg_spec;

typedef struct hash_agg hash_agg;

/* New empty aggregation over `nkeys` key columns and `naggs` aggregates.
 * Copies the arrays. nkeys may be 0 (global aggregate: one group, created by
 * the first hash_agg_update and marked updated by every one, even with 0
 * rows, as Spark's global aggregate emits a row for an empty batch). Owned by
 * the caller; hash_agg_free. */
hash_agg *hash_agg_new(int nkeys, const type_id *key_types, int naggs, const agg_spec *aggs);
void hash_agg_free(hash_agg *h);

/* Starts a micro-batch: forgets which groups were updated. */
void hash_agg_begin_batch(hash_agg *h);

/* Adds n rows: keys[0..nkeys) and args[0..naggs) are columns of n rows
 * (args[i] is NULL for count(*)). Key strings are copied into the
 * aggregation's own arena (interned once per group). Hashes with XXH3. Group
 * keys follow Spark's grouping equality: NULL equals NULL, -0.0 equals 0.0
 * and all NaNs are one key. */
void hash_agg_update(hash_agg *h, const column *keys, const column *const *args, uint32_t n);

/* Result rows: nkeys key columns then naggs finalized aggregate columns.
 * only_updated: just the groups touched since hash_agg_begin_batch (update
 * mode), else all groups (complete mode). Groups come out in first-seen
 * order. The batch is new and owned by the caller (batch_free); all its
 * strings are copied into the batch's own arena, so it stays valid whatever
 * happens to the aggregation afterwards. A global aggregate (nkeys 0) that
 * has seen no update gives, in complete mode, one row of initial results
 * (count 0, sum NULL), as Spark does for an empty input. */
batch *hash_agg_output(hash_agg *h, bool only_updated);

/* Result rows of the groups created since hash_agg_begin_batch, in first-
 * seen order, same shape and ownership as hash_agg_output: what streaming
 * deduplication emits (Spark's StreamingDeduplicateExec outputs a row the
 * first time its key is seen). */
batch *hash_agg_output_new(hash_agg *h);

/* Result rows (hash_agg_output's shape, first-seen order) of every group for
 * which take(key values, ctx) is true, which are then removed: append mode's
 * emission of windows the watermark has closed (Spark's StateStoreSaveExec
 * with watermarkPredicateForKeys). Returns an empty batch when none match. */
batch *hash_agg_take(hash_agg *h, bool (*take)(const value *keys, void *ctx), void *ctx);

/* True when pred(key values, ctx) holds for some group: whether a no-data
 * batch would emit or evict anything. O(groups). */
bool hash_agg_any(const hash_agg *h, bool (*pred)(const value *keys, void *ctx), void *ctx);

/* Removes every group for which keep(key values, ctx) is false; the values
 * array has nkeys entries (strings point into the aggregation, valid during
 * the call). Used for watermark eviction. Returns rows removed. The memory of
 * removed groups is reclaimed by compacting the arena once it is mostly
 * dead. */
uint64_t hash_agg_evict(hash_agg *h, bool (*keep)(const value *keys, void *ctx), void *ctx);

/* Folds every group of `src` into `dst` with each aggregate's combine (src's
 * rows count as later than dst's); both must have the same keys and
 * aggregates. Groups new to dst are appended in src's order. Touched groups
 * count as updated in dst. src is unchanged. */
void hash_agg_merge(hash_agg *dst, const hash_agg *src);

/* Groups currently held / updated since begin_batch; bytes of memory held
 * (arena, hash table and group lists). */
uint64_t hash_agg_ngroups(const hash_agg *h);
uint64_t hash_agg_nupdated(const hash_agg *h);
size_t hash_agg_memory(const hash_agg *h);

/* Appends the whole aggregation to `out`: a format version byte (1), the key
 * and aggregate types (checked on load), then every group in first-seen
 * order with its keys and states, strings inline. Which groups were updated
 * in the current batch is not saved. */
void hash_agg_serialize(const hash_agg *h, agg_buf *out);

/* Loads groups written by hash_agg_serialize into `h`, which must be empty
 * and built with the same keys and aggregates. Returns 0, or -EDDY_CORRUPT
 * with err saying which check failed (version, shape, truncation); on
 * failure h may hold some groups and should be freed. */
int hash_agg_deserialize(hash_agg *h, const uint8_t *data, size_t len, eddy_error *err);

/* Turns on (or off) recording of removed groups for hash_agg_serialize_delta.
 * While on, every group hash_agg_evict or hash_agg_take removes has its key
 * values (present flags and cells, as hash_agg_serialize writes them)
 * appended to a per-batch list that hash_agg_begin_batch clears: the
 * tombstones of Spark's HDFSBackedStateStore delta files. Off by default, so
 * a query without a checkpoint pays nothing; turning it off drops the list.
 * state_ops_hash_agg (state/state_store.h) turns it on. */
void hash_agg_track_removals(hash_agg *h, bool on);

/* Appends the changes since hash_agg_begin_batch to `out` (one state store
 * delta): hash_agg_serialize's header with the delta format byte (0x81),
 * then the removed keys (u64 count, then each key's present flags and
 * cells; recorded only while hash_agg_track_removals is on), then the
 * groups updated since begin_batch that are still live (u64 count, then
 * each group's key and states as hash_agg_serialize writes them), in the
 * order they were first touched, which for new groups is creation order. A
 * key removed and created again in the same batch is in both lists. Cost:
 * O(removed + updated) groups, nothing for untouched ones. */
void hash_agg_serialize_delta(const hash_agg *h, agg_buf *out);

/* Applies a delta written by hash_agg_serialize_delta of an aggregation with
 * the same keys and aggregates. First the removed keys are deleted (absent
 * keys are ignored: a group created and removed within the batch), then
 * every group is upserted: an existing group gets the delta's states in
 * place and keeps its first-seen position, a new group is appended in delta
 * order. Removals go first so that a key removed and re-created in one batch
 * ends up, as in the live run, re-created at the end. Hence the restored
 * aggregation lists its groups in the uninterrupted run's first-seen order
 * and hash_agg_serialize gives the same bytes. Afterwards nothing is marked
 * updated or new (it ends with hash_agg_begin_batch): call it between
 * batches. Cost: O(entries) plus one pass over the groups when some were
 * removed. Returns 0, or -EDDY_CORRUPT with err saying which check failed
 * (format byte, shape, NULL flag, truncation, trailing bytes); on failure h
 * may hold part of the delta and should be freed. */
int hash_agg_apply_delta(hash_agg *h, const uint8_t *data, size_t len, eddy_error *err);

#endif
