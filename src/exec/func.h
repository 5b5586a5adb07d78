/* Scalar function registry (Spark's built-in functions that eddy supports).
 * One entry per function in a table (exec/func_registry.c); a new function is
 * one implementation plus one table line. Functions work a column at a time. */
#ifndef EXEC_FUNC_H
#define EXEC_FUNC_H

#include <stdint.h>

#include "core/arena.h"
#include "core/types.h"
#include "eddy.h"

/* Per-evaluation context. */
typedef struct func_ctx {
    arena *arena;       /* string results are allocated here (the output
                           batch's arena); lives as long as the output column */
    int64_t batch_time_us; /* current_timestamp(): the micro-batch's timestamp,
                              constant within a batch as in Spark */
} func_ctx;

/* Decides the result type for the given argument types and which type each
 * argument should be cast to before eval (want[i], pre-filled with argt[i]).
 * Returns 0, or -1 with a message such as "upper expects a string argument"
 * in msg (msgcap bytes). Spark's implicit casts apply: e.g. upper(123) casts
 * to string, abs("1") casts to double. */
typedef int (*scalar_resolve_fn)(const type_id *argt, int nargs, type_id *want,
                                 type_id *ret, char *msg, int msgcap);

/* Computes out[0..n) from args[0..nargs), each with n rows and already of the
 * wanted types. `out` is initialised by the caller with the resolved return
 * type and room for n rows. NULL in -> NULL out unless the function says
 * otherwise (coalesce, concat follows Spark: NULL if any arg is NULL).
 * Returns 0, or a negative eddy_code with err filled (should be rare: Spark's
 * non-ANSI mode turns most failures into NULL). */
typedef int (*scalar_eval_fn)(const column *args, int nargs, uint32_t n, column *out,
                              func_ctx *ctx, eddy_error *err);

typedef struct scalar_func {
    const char *name;   /* lower case, Spark's name */
    int min_args, max_args; /* max -1: variadic */
    scalar_resolve_fn resolve;
    scalar_eval_fn eval;
} scalar_func;

/* Case-insensitive lookup; NULL if unknown. */
const scalar_func *func_lookup(const char *name);

/* All registered scalar function names (NULL-terminated, static), for
 * "did you mean" suggestions. */
const char *const *func_names(void);

/* Spark's non-ANSI CAST (Cast.scala with ansi off): invalid input -> NULL.
 * Numeric -> string uses Spark's formatting (double 1.0 -> "1.0", 1e20 ->
 * "1.0E20"); string -> int/bigint accepts surrounding spaces and truncates a
 * fraction ("1.5" -> 1, as Spark's UTF8String.toInt); text that is not a
 * number -> NULL;
 * string -> boolean accepts t/true/y/yes/1 and f/false/n/no/0; timestamp ->
 * string uses ts_format; double -> int truncates toward zero, out of range
 * wraps as Java does. `out` is initialised by the caller with type `to` and n
 * rows of room. Strings go to ctx->arena. Returns 0. */
int cast_column(const column *in, uint32_t n, type_id to, column *out, func_ctx *ctx);

/* True when CAST(from AS to) is allowed at all (Spark's Cast.canCast). */
int cast_allowed(type_id from, type_id to);

#endif
