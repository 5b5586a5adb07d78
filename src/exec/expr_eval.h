/* Evaluates bound expression trees (plan/expr.h) over a batch, a column at a
 * time, with Spark's null rules: arithmetic and comparisons with a NULL give
 * NULL; AND/OR are three-valued (false AND NULL = false, true OR NULL = true);
 * integer division by zero and modulo by zero give NULL; `/` always returns
 * DOUBLE (Spark); integer overflow wraps (non-ANSI). */
#ifndef EXEC_EXPR_EVAL_H
#define EXEC_EXPR_EVAL_H

#include "core/types.h"
#include "exec/func.h"
#include "plan/expr.h"

/* Evaluates `e` for every row of `in` into `out`, which this function
 * initialises (column_init with e->type and in->nrows rows); the caller frees
 * it with column_free. Strings in the result point into `in` or into
 * ctx->arena. EXPR_COLUMN copies the input column's arrays (the simple path;
 * callers that only need a view use expr_eval_view). Returns 0 or a negative
 * eddy_code with err set. */
int expr_eval(const expr *e, const batch *in, func_ctx *ctx, column *out, eddy_error *err);

/* Like expr_eval but for a bare column reference returns a shallow view of
 * the input column in *out and sets *owned = 0 (do not free); otherwise
 * evaluates and sets *owned = 1. */
int expr_eval_view(const expr *e, const batch *in, func_ctx *ctx, column *out, int *owned,
                   eddy_error *err);

/* Evaluates a BOOLEAN predicate and writes the indices of rows where it is
 * TRUE (not NULL, not false) into sel (room for in->nrows); returns the count
 * in *nsel. */
int expr_eval_filter(const expr *e, const batch *in, func_ctx *ctx, uint32_t *sel,
                     uint32_t *nsel, eddy_error *err);

/* Result type of a binary operator for operand types (after Spark's type
 * coercion: INT op BIGINT -> BIGINT, any op DOUBLE -> DOUBLE, `/` -> DOUBLE,
 * comparisons -> BOOLEAN, string vs number compares as DOUBLE/number, string
 * vs timestamp compares as timestamp); sets *lt and *rt to the types the operands
 * must be cast to. Returns 0, or -1 with msg when the types cannot combine
 * (e.g. "cannot apply + to string and boolean"). */
int expr_binary_types(expr_op op, type_id l, type_id r, type_id *lt, type_id *rt,
                      type_id *ret, char *msg, int msgcap);

#endif
