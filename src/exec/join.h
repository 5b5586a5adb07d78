/* The stream-static join: Spark's BroadcastHashJoinExec with the static table
 * as the build side and the stream as the probe side (the stream is always
 * on the left). Inner and left outer joins.
 *
 * The table is loaded once, at query start, into one batch; hash_join_new
 * hashes its equi-join keys once. Every micro-batch is then probed against
 * it, a column at a time: hash the probe keys, find each row's chain of
 * matching table rows, optionally filter the candidate pairs with the rest
 * of the ON condition (the residual), and gather the output columns. */
#ifndef EXEC_JOIN_H
#define EXEC_JOIN_H

#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "eddy.h"
#include "exec/func.h"
#include "plan/expr.h"

/* Spark's JoinType for the joins a stream-static query may use with the
 * stream on the left: Inner and LeftOuter. */
typedef enum join_type {
    JOIN_TYPE_INNER,
    JOIN_TYPE_LEFT_OUTER,
} join_type;

/* A built hash table over the static table's rows. Not thread-safe: probe
 * from one query thread at a time. */
typedef struct hash_join hash_join;

/* Builds the join over the static table `build` (build->nrows rows).
 *
 * Takes ownership of `build`: it is freed with the join. Its string bytes
 * are copied at once into one reference-counted buffer that every output
 * batch keeps a reference to, so output batches stay valid after the join
 * is freed, and the batch's own buffers (build->keep, build->arena) are
 * released.
 *
 * `build_keys` are the `nkeys` equi-join key columns evaluated over `build`
 * (build->nrows rows each), in the order of the ON condition's conjuncts.
 * They are copied, strings included: the caller still owns them and may
 * free them as soon as this returns; they may alias build's own columns.
 * A row with a NULL in any key never matches (SQL equality). nkeys = 0
 * makes every probe row match every table row (a cross join, normally
 * narrowed by a residual).
 *
 * Never NULL (exits on OOM). Cost: one XXH3 hash per key cell; the hash
 * table has a power-of-two number of 8-byte slots, at least twice the rows
 * whose keys are all non-NULL (16 at least). */
hash_join *hash_join_new(batch *build, const column *build_keys, int nkeys, join_type type);

/* Frees the join and the table batch it owns. Output batches it returned
 * stay valid. NULL is a no-op. */
void hash_join_free(hash_join *j);

/* Joins one micro-batch `probe` against the table.
 *
 * `probe_keys` are the nkeys probe-side key columns evaluated over `probe`
 * (probe->nrows rows each), of exactly the build keys' types (the binder
 * casts both sides of `a = b` to a common type). Equality is Spark's for
 * join keys: NULL never matches; doubles are normalised so -0.0 = 0.0 and
 * NaN = NaN; strings compare by bytes.
 *
 * `residual` (may be NULL) is the rest of the ON condition: a bound BOOLEAN
 * expression whose column indices refer to the joined row, probe columns
 * 0..probe->ncols-1 then table columns. It is evaluated a column at a time
 * over candidate pairs (key matches) in chunks; NULL or false rejects the
 * pair. `ctx` (may be NULL) supplies batch_time_us to it; ctx->arena is
 * not used: the residual's intermediate results go to a scratch arena freed
 * before returning.
 *
 * On success *out is a new batch owned by the caller (batch_free): probe's
 * columns followed by the table's, and for each probe row in order, one row
 * per matching table row in table order. With JOIN_TYPE_LEFT_OUTER a probe
 * row without a match (no key match, or every key match rejected by the
 * residual) appears once with every table column NULL (Spark's LeftOuter).
 * The output may hold more than BATCH_MAX_ROWS rows when table keys repeat.
 * Its strings stay valid for the output's whole life, independent of
 * `probe` and of the join: it keeps references to probe's kept buffers
 * (probe->keep) and to the table's string buffer, and copies into its own
 * arena any probe string that lies in neither (e.g. in probe->arena).
 *
 * Returns 0, or a negative eddy_code with err set and *out untouched:
 * -EDDY_RUNTIME when a key column's type differs from the build key's or
 * the output would exceed UINT32_MAX rows, or whatever evaluating the
 * residual returns. */
int hash_join_probe(hash_join *j, batch *probe, const column *probe_keys, const expr *residual,
                    func_ctx *ctx, batch **out, eddy_error *err);

/* Rows in the static table (build->nrows at hash_join_new). */
uint64_t hash_join_build_rows(const hash_join *j);

/* Bytes the join holds from malloc: the table batch's columns, the copied
 * keys and strings, and the hash table (for Spark's memoryUsedBytes). */
size_t hash_join_memory(const hash_join *j);

#endif
