/* Expression trees, shared by the SQL front end and the planner (as in
 * SQLite's Expr). The parser builds them unresolved (EXPR_IDENT, EXPR_CALL by
 * name); the binder resolves names to input column indices, functions to
 * registry entries, inserts implicit casts and sets `type`. After binding, an
 * expression evaluates over one batch at a time (exec/expr_eval.h).
 *
 * Nodes are allocated in the plan's arena (plan_arena) and never freed one by
 * one; all strings they point to live in the same arena. */
#ifndef PLAN_EXPR_H
#define PLAN_EXPR_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/types.h"

struct scalar_func;
struct agg_func;

typedef enum expr_kind {
    EXPR_LITERAL,   /* lit */
    EXPR_IDENT,     /* unresolved [qualifier.]name; `window.start` parses as
                       IDENT qualifier=window name=start and the binder turns
                       it into EXPR_FIELD when window is a column */
    EXPR_STAR,      /* `*` or `t.*` in a select list (qualifier optional) */
    EXPR_COLUMN,    /* bound: input column `column` */
    EXPR_UNARY,     /* op: OP_NEG, OP_NOT; args[0] */
    EXPR_BINARY,    /* op: arithmetic, comparison, AND/OR, OP_CONCAT; args[0..1] */
    EXPR_IS_NULL,   /* args[0] IS [NOT] NULL (negated) */
    EXPR_IN,        /* args[0] [NOT] IN (args[1..]) */
    EXPR_BETWEEN,   /* args[0] [NOT] BETWEEN args[1] AND args[2] */
    EXPR_LIKE,      /* args[0] [NOT] LIKE args[1] (SQL % and _, escape \) */
    EXPR_CASE,      /* CASE WHEN args[0] THEN args[1] WHEN args[2] THEN args[3]
                       ... [ELSE else_expr] END; the simple form CASE x WHEN v
                       is rewritten by the parser into x = v conditions */
    EXPR_CAST,      /* CAST(args[0] AS cast_to) */
    EXPR_CALL,      /* name(args...); bound to fn (scalar) or agg (aggregate) */
    EXPR_FIELD,     /* struct field: args[0].name, e.g. window.start */
    EXPR_AGG_REF,   /* bound: output `column` of the aggregation below */
} expr_kind;

typedef enum expr_op {
    OP_NONE,
    OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ_NULLSAFE, /* <=> */
    OP_AND, OP_OR,
    OP_NEG, OP_NOT,
    OP_CONCAT, /* || */
} expr_op;

typedef struct expr {
    expr_kind kind;
    expr_op op;
    type_id type;       /* result type, set by the binder */
    int line, col;      /* 1-based position of the node's first token */
    int end_col;        /* column just past the node's last token on `line`
                           (0 if unknown); for carets spanning the node */

    const char *name;       /* IDENT/FIELD name, CALL function name (as written) */
    const char *qualifier;  /* IDENT/STAR qualifier (`v` in v.state) or NULL */
    int column;             /* COLUMN / AGG_REF: bound column index */
    value lit;              /* LITERAL; strings live in the plan arena */
    type_id cast_to;        /* CAST target */

    struct expr **args;
    int nargs;
    struct expr *else_expr; /* CASE */
    bool negated;           /* NOT IN / NOT LIKE / NOT BETWEEN / IS NOT NULL */
    bool distinct;          /* count(DISTINCT x) */
    bool star_arg;          /* count(*) */

    const struct scalar_func *fn; /* bound scalar function */
    const struct agg_func *agg;   /* bound aggregate */
    const char *text;             /* source text of the node as written, for
                                     Spark-style default column names; set by
                                     the parser (arena) */
} expr;

/* New zeroed node of the given kind, position line:col, in arena a. */
expr *expr_new(arena *a, expr_kind kind, int line, int col);

/* True when the tree contains an aggregate call (after binding: agg != NULL;
 * before: a CALL whose name is a known aggregate). */
bool expr_has_agg(const expr *e);

/* Spark's default output column name for an unaliased select item, e.g.
 * `count(1)` for count(*), `sum(x)`, `upper(name)`, `(a + b)`, `window`,
 * `CAST(x AS INT)`; writes into the arena and returns it. Follows Spark's
 * Expression.sql / toPrettySQL rules as far as eddy's expressions go. */
const char *expr_default_name(arena *a, const expr *e);

/* Appends a readable rendering (for EXPLAIN) to buf (cap bytes, always NUL
 * terminated); returns the length it would have. */
int expr_to_string(const expr *e, char *buf, int cap);

#endif
