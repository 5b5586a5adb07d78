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
    /* Merges src into dst (parallel partial aggregation). */
    void (*combine)(void *dst, const void *src, type_id arg, arena *a);
    /* Writes the result for one state into out[row] (out has the resolved type). */
    void (*finalize)(const void *state, type_id arg, column *out, uint32_t row);
} agg_func;

/* Case-insensitive lookup of an aggregate by name; NULL if not an aggregate. */
const agg_func *agg_lookup(const char *name);

/* NULL-terminated static list of aggregate names (for suggestions). */
const char *const *agg_names(void);

/* One aggregate column of a hash aggregation. */
typedef struct agg_spec {
    const agg_func *fn;
    type_id arg_type;   /* TYPE_NULL for count(*) */
    bool distinct;      /* count(DISTINCT x), sum(DISTINCT x), ... */
    type_id ret_type;
} agg_spec;

typedef struct hash_agg hash_agg;

/* New empty aggregation over `nkeys` key columns and `naggs` aggregates.
 * Copies the arrays. nkeys may be 0 (global aggregate: one group). Owned by
 * the caller; hash_agg_free. */
hash_agg *hash_agg_new(int nkeys, const type_id *key_types, int naggs, const agg_spec *aggs);
void hash_agg_free(hash_agg *h);

/* Starts a micro-batch: forgets which groups were updated. */
void hash_agg_begin_batch(hash_agg *h);

/* Adds n rows: keys[0..nkeys) and args[0..naggs) are columns of n rows
 * (args[i] is NULL for count(*)). Key strings are copied into the
 * aggregation's own arena (interned once per group). Hashes with XXH3. */
void hash_agg_update(hash_agg *h, const column *keys, const column *const *args, uint32_t n);

/* Result rows: nkeys key columns then naggs finalized aggregate columns.
 * only_updated: just the groups touched since hash_agg_begin_batch (update
 * mode), else all groups (complete mode). Groups come out in first-seen
 * order. The batch is new and owned by the caller (batch_free); its strings
 * point into the aggregation's arena, so it must be freed before the
 * aggregation is. */
batch *hash_agg_output(hash_agg *h, bool only_updated);

/* Removes every group for which keep(key values, ctx) is false; the values
 * array has nkeys entries. Used for watermark eviction. Returns rows removed. */
uint64_t hash_agg_evict(hash_agg *h, bool (*keep)(const value *keys, void *ctx), void *ctx);

/* Groups currently held / updated since begin_batch; bytes of memory held. */
uint64_t hash_agg_ngroups(const hash_agg *h);
uint64_t hash_agg_nupdated(const hash_agg *h);
size_t hash_agg_memory(const hash_agg *h);

#endif
