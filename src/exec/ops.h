/* Stateless operators over batches: filter, project, sort, limit, and the
 * ordering of aggregation output by Spark's hash partitioning. Each returns a
 * new batch whose string views may point into `in` (and the buffers it
 * keeps): the caller keeps `in` alive until the result is consumed. */
#ifndef EXEC_OPS_H
#define EXEC_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/types.h"
#include "eddy.h"
#include "exec/func.h"
#include "plan/expr.h"

/* Rows idx[0..n) of src into rows [0, n) of dst, which has the same type
 * and room for n rows; string views are copied, not their bytes. */
void column_gather(column *dst, const column *src, const uint32_t *idx, uint32_t n);

/* Rows of `in` at positions idx[0..n) as a new batch (all columns). */
batch *batch_gather(const batch *in, const uint32_t *idx, uint32_t n);

/* Rows of `in` where `pred` is TRUE. Sets *out to a new batch, or to `in`
 * itself when every row passes (check before freeing). */
int op_filter(const expr *pred, batch *in, func_ctx *ctx, batch **out, eddy_error *err);

/* One column per expression, evaluated over `in`; types from the exprs.
 * Function results are allocated in the new batch's arena. */
int op_project(expr *const *exprs, int n, batch *in, func_ctx *ctx, batch **out,
               eddy_error *err);

/* Stable sort of `in` by keys evaluated over it (Spark's ORDER BY; NULLs
 * first or last per key). Returns a new batch. */
int op_sort(expr *const *keys, const bool *desc, const bool *nulls_first, int nkeys, batch *in,
            func_ctx *ctx, batch **out, eddy_error *err);

/* Spark's Murmur3Hash (Murmur3_x86_32, seed 42, chained over columns, NULL
 * leaves the seed unchanged) of the first `nkeys` columns of row i: the hash
 * HashPartitioning uses to place a group in a shuffle partition. */
int32_t spark_row_hash(const batch *b, int nkeys, uint32_t i);

/* Reorders `in` by pmod(spark_row_hash, partitions), stably, which is the
 * order Spark emits aggregation results in (partition 0 first). Returns a
 * new batch. */
batch *op_partition_order(batch *in, int nkeys, int partitions);

#endif
