/* Name resolution, type checking and logical planning for pipeline files.
 * Follows Spark's analyzer where eddy's SQL overlaps it: case-insensitive
 * names, GROUP BY aliases and ordinals, implicit casts, the "neither present
 * in the group by, nor is it an aggregate function" rule, and
 * UnsupportedOperationChecker's output-mode rules. */
#include "sql/binder.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/strutil.h"
#include "core/timefmt.h"
#include "exec/expr_eval.h"
#include "exec/func.h"
#include "exec/window.h"
#include "sql/parser.h"

/* One relation visible to expressions: its name or alias and its columns. */
typedef struct scope {
    const char *qualifier;
    const char *name;
    const schema *schema;
    int nhidden; /* trailing columns left out of SELECT * (kafka's _key, ...) */
} scope;

/* A window() or session_window() call, bound: the time expression and the
 * durations in µs. */
typedef struct window_spec {
    bool session;
    expr *time_col;
    int64_t size_us;  /* session: the gap */
    int64_t slide_us;
    int64_t start_us;
} window_spec;

typedef struct binder {
    const char *text;
    const char *file_name;
    arena *a;
    eddy_error *err;
    bound_pipeline *p;
    int view_depth;
    /* The window of the SELECT being bound (Spark allows one per query):
     * once its PLAN_WINDOW node exists, every window()/session_window() call
     * with the same arguments binds to its column. */
    bool have_window;
    window_spec win;
    int win_column;
} binder;

/* Options every sink takes besides its own. */
static const char *const common_sink_options[] = {
    "format", "outputMode", "trigger", "checkpointLocation", "queryName", "chart", NULL};

static int bind_error(binder *b, int line, int col, int len, const char *hint, const char *fmt,
                      ...) __attribute__((format(printf, 6, 7)));

static int bind_error(binder *b, int line, int col, int len, const char *hint, const char *fmt,
                      ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return sql_error_at(b->err, b->text, b->file_name, line, col, len, hint, "%s", msg);
}

static int expr_len(const expr *e)
{
    if (e->end_col > e->col)
        return e->end_col - e->col;
    if (e->text) {
        const char *nl = strchr(e->text, '\n');
        return nl ? (int)(nl - e->text) : (int)strlen(e->text);
    }
    return 1;
}

static const char *expr_display(const expr *e)
{
    if (e->text)
        return e->text;
    return e->name ? e->name : "expression";
}

/* ---- expression utilities ---------------------------------------------- */

static expr *expr_clone(arena *a, const expr *e)
{
    if (!e)
        return NULL;
    expr *c = arena_alloc(a, sizeof *c);
    *c = *e;
    if (e->nargs) {
        c->args = arena_alloc(a, (size_t)e->nargs * sizeof(expr *));
        for (int i = 0; i < e->nargs; i++)
            c->args[i] = expr_clone(a, e->args[i]);
    }
    c->else_expr = expr_clone(a, e->else_expr);
    return c;
}

static bool expr_equal(const expr *x, const expr *y)
{
    if (x == y)
        return true;
    if (!x || !y || x->kind != y->kind || x->op != y->op || x->nargs != y->nargs ||
        x->negated != y->negated || x->distinct != y->distinct || x->star_arg != y->star_arg)
        return false;
    switch (x->kind) {
    case EXPR_COLUMN:
    case EXPR_AGG_REF:
        if (x->column != y->column)
            return false;
        break;
    case EXPR_LITERAL:
        if (x->lit.type != y->lit.type || !value_equal(&x->lit, &y->lit))
            return false;
        break;
    case EXPR_CAST:
        if (x->cast_to != y->cast_to)
            return false;
        break;
    case EXPR_CALL:
        if (x->fn != y->fn || x->agg != y->agg)
            return false;
        break;
    case EXPR_FIELD:
        if (!x->name || !y->name || !str_ieq(x->name, y->name))
            return false;
        break;
    default:
        break;
    }
    for (int i = 0; i < x->nargs; i++)
        if (!expr_equal(x->args[i], y->args[i]))
            return false;
    return expr_equal(x->else_expr, y->else_expr);
}

static expr *make_cast(binder *b, expr *e, type_id to)
{
    if (e->type == to)
        return e;
    if (e->kind == EXPR_LITERAL && e->lit.is_null) {
        e->type = to;
        e->lit.type = to;
        return e;
    }
    expr *c = expr_new(b->a, EXPR_CAST, e->line, e->col);
    c->cast_to = to;
    c->type = to;
    c->args = arena_alloc(b->a, sizeof(expr *));
    c->args[0] = e;
    c->nargs = 1;
    c->text = e->text;
    c->end_col = e->end_col;
    return c;
}

static int type_rank(type_id t)
{
    switch (t) {
    case TYPE_INT: return 1;
    case TYPE_BIGINT: return 2;
    case TYPE_DOUBLE: return 3;
    default: return 0;
    }
}

/* Spark's findWiderCommonType for the types eddy has; TYPE_COUNT_ when none. */
static type_id common_type(type_id a, type_id b)
{
    if (a == b)
        return a;
    if (a == TYPE_NULL)
        return b;
    if (b == TYPE_NULL)
        return a;
    if (type_rank(a) && type_rank(b))
        return type_rank(a) > type_rank(b) ? a : b;
    if ((a == TYPE_DATE && b == TYPE_TIMESTAMP) || (a == TYPE_TIMESTAMP && b == TYPE_DATE))
        return TYPE_TIMESTAMP;
    if ((a == TYPE_STRING && b != TYPE_WINDOW) || (b == TYPE_STRING && a != TYPE_WINDOW))
        return TYPE_STRING;
    return TYPE_COUNT_;
}

/* ---- name resolution ---------------------------------------------------- */

static void column_candidates(const scope *sc, int nsc, const char **out, int *n, int max)
{
    for (int s = 0; s < nsc; s++)
        for (int i = 0; i < sc[s].schema->n && *n < max; i++)
            out[(*n)++] = sc[s].schema->fields[i].name;
}

static int resolve_column(binder *b, const scope *sc, int nsc, const char *qualifier,
                          const char *name, int *out_index, const expr *at)
{
    int base = 0, found = -1, nfound = 0;
    for (int s = 0; s < nsc; s++) {
        bool q_ok = !qualifier || str_ieq(qualifier, sc[s].qualifier) ||
                    (sc[s].name && str_ieq(qualifier, sc[s].name));
        if (q_ok) {
            int i = schema_find(sc[s].schema, name);
            if (i >= 0) {
                found = base + i;
                nfound++;
            }
        }
        base += sc[s].schema->n;
    }
    if (nfound == 1) {
        *out_index = found;
        return 0;
    }
    if (nfound > 1)
        return bind_error(b, at->line, at->col, expr_len(at), NULL,
                          "column reference '%s' is ambiguous", name);
    const char *cands[512];
    int n = 0;
    column_candidates(sc, nsc, cands, &n, 512);
    const char *hint = str_nearest(name, cands, n);
    if (qualifier)
        return bind_error(b, at->line, at->col, expr_len(at), hint,
                          "cannot resolve column '%s.%s'", qualifier, name);
    return bind_error(b, at->line, at->col, expr_len(at), hint, "cannot resolve column '%s'",
                      name);
}

/* resolve_column without reporting: true when the unqualified name is a
 * column of the scope. */
static bool try_resolve_column(binder *b, const scope *sc, int nsc, const char *name,
                               int *out_index, const expr *at)
{
    eddy_error quiet, *saved = b->err;
    b->err = &quiet;
    bool found = resolve_column(b, sc, nsc, NULL, name, out_index, at) == 0;
    b->err = saved;
    return found;
}

static const schema *scope_column_schema(const scope *sc, int nsc, int index, int *local)
{
    for (int s = 0; s < nsc; s++) {
        if (index < sc[s].schema->n) {
            *local = index;
            return sc[s].schema;
        }
        index -= sc[s].schema->n;
    }
    return NULL;
}

static const field *scope_field(const scope *sc, int nsc, int index)
{
    int local;
    const schema *s = scope_column_schema(sc, nsc, index, &local);
    return &s->fields[local];
}

static type_id scope_type(const scope *sc, int nsc, int index)
{
    int local;
    const schema *s = scope_column_schema(sc, nsc, index, &local);
    return s ? s->fields[local].type : TYPE_NULL;
}

static bool qualifier_is_relation(const scope *sc, int nsc, const char *q)
{
    for (int s = 0; s < nsc; s++)
        if (str_ieq(q, sc[s].qualifier) || (sc[s].name && str_ieq(q, sc[s].name)))
            return true;
    return false;
}

/* ---- expression binding ------------------------------------------------- */

enum { AGG_NONE = 0, AGG_ALLOWED = 1 };

static int bind_expr(binder *b, const scope *sc, int nsc, expr **ep, int agg_mode,
                     const char *clause);

static int bind_args(binder *b, const scope *sc, int nsc, expr *e, int agg_mode,
                     const char *clause)
{
    for (int i = 0; i < e->nargs; i++) {
        int rc = bind_expr(b, sc, nsc, &e->args[i], agg_mode, clause);
        if (rc)
            return rc;
    }
    if (e->else_expr)
        return bind_expr(b, sc, nsc, &e->else_expr, agg_mode, clause);
    return 0;
}

static int require_boolean(binder *b, expr **ep, const char *what)
{
    expr *e = *ep;
    if (e->type == TYPE_BOOLEAN)
        return 0;
    if (e->type == TYPE_NULL) {
        *ep = make_cast(b, e, TYPE_BOOLEAN);
        return 0;
    }
    return bind_error(b, e->line, e->col, expr_len(e), NULL,
                      "%s must be a boolean expression, but '%s' is %s", what, expr_display(e),
                      type_name(e->type));
}

static bool is_window_name(const char *name)
{
    return name && (str_ieq(name, "window") || str_ieq(name, "session_window"));
}

/* A duration argument of window()/session_window(): a string literal such as
 * '10 seconds'. */
static int window_duration(binder *b, const expr *arg, const char *what, int64_t *out)
{
    if (arg->kind != EXPR_LITERAL || arg->lit.type != TYPE_STRING || arg->lit.is_null)
        return bind_error(b, arg->line, arg->col, expr_len(arg), NULL,
                          "the %s must be a string literal such as '10 seconds'", what);
    if (duration_parse(arg->lit.v.s.ptr, arg->lit.v.s.len, out) != 0)
        return bind_error(b, arg->line, arg->col, expr_len(arg), NULL,
                          "invalid %s '%.*s': use e.g. '10 seconds', '1 minute', "
                          "'500 milliseconds'",
                          what, (int)arg->lit.v.s.len, arg->lit.v.s.ptr);
    return 0;
}

/* Binds the arguments of a window(ts, size[, slide[, start]]) or
 * session_window(ts, gap) call (e, already a private copy) and checks them
 * with Spark's TimeWindow / SessionWindow rules. */
static int bind_window_spec(binder *b, const scope *sc, int nsc, expr *e, window_spec *out)
{
    memset(out, 0, sizeof *out);
    out->session = str_ieq(e->name, "session_window");
    int lo = 2, hi = out->session ? 2 : 4;
    if (e->star_arg || e->distinct || e->nargs < lo || e->nargs > hi)
        return bind_error(b, e->line, e->col, expr_len(e), NULL,
                          out->session ? "session_window takes 2 arguments: "
                                         "session_window(time_column, gap_duration)"
                                       : "window takes 2 to 4 arguments: window(time_column, "
                                         "window_duration[, slide_duration[, start_time]])");
    int rc = bind_expr(b, sc, nsc, &e->args[0], AGG_NONE, "a window's time column");
    if (rc)
        return rc;
    expr *t = e->args[0];
    if (t->type != TYPE_TIMESTAMP)
        return bind_error(b, t->line, t->col, expr_len(t), NULL,
                          "the time column of %s must be a TIMESTAMP, but '%s' is %s",
                          out->session ? "session_window" : "window", expr_display(t),
                          type_name(t->type));
    out->time_col = t;
    if (out->session) {
        if ((rc = window_duration(b, e->args[1], "gap duration", &out->size_us)) != 0)
            return rc;
        if (out->size_us <= 0)
            return bind_error(b, e->args[1]->line, e->args[1]->col, expr_len(e->args[1]), NULL,
                              "the gap duration of session_window must be greater than 0");
        return 0;
    }
    if ((rc = window_duration(b, e->args[1], "window duration", &out->size_us)) != 0)
        return rc;
    out->slide_us = out->size_us;
    if (e->nargs > 2 && (rc = window_duration(b, e->args[2], "slide duration", &out->slide_us)))
        return rc;
    if (e->nargs > 3 && (rc = window_duration(b, e->args[3], "start time", &out->start_us)))
        return rc;
    char msg[256];
    if (time_window_check(out->size_us, out->slide_us, out->start_us, msg, sizeof msg) != 0)
        return bind_error(b, e->line, e->col, expr_len(e), NULL, "%s", msg);
    return 0;
}

/* A window()/session_window() call in an expression: the column the
 * PLAN_WINDOW node added, when the call matches the query's window. */
static int bind_window_call(binder *b, const scope *sc, int nsc, expr **ep)
{
    expr *e = *ep;
    if (!b->have_window)
        return bind_error(b, e->line, e->col, expr_len(e), NULL,
                          "%s() can only be used in the select list or GROUP BY of a query "
                          "reading a stream",
                          str_ieq(e->name, "session_window") ? "session_window" : "window");
    window_spec w;
    int rc = bind_window_spec(b, sc, nsc, e, &w);
    if (rc)
        return rc;
    if (w.session != b->win.session || !expr_equal(w.time_col, b->win.time_col) ||
        w.size_us != b->win.size_us || w.slide_us != b->win.slide_us ||
        w.start_us != b->win.start_us)
        return bind_error(b, e->line, e->col, expr_len(e), NULL,
                          "a query can use only one window expression: multiple time or "
                          "session windows would give a cartesian product of rows (as in "
                          "Spark)");
    expr *col = expr_new(b->a, EXPR_COLUMN, e->line, e->col);
    col->column = b->win_column;
    col->type = TYPE_WINDOW;
    col->name = w.session ? "session_window" : "window";
    col->text = e->text;
    *ep = col;
    return 0;
}

static int bind_call(binder *b, const scope *sc, int nsc, expr **ep, int agg_mode,
                     const char *clause)
{
    expr *e = *ep;
    if (is_window_name(e->name))
        return bind_window_call(b, sc, nsc, ep);
    char lname[128];
    snprintf(lname, sizeof lname, "%s", e->name);
    for (char *p = lname; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    const agg_func *agg = agg_lookup(lname);
    if (agg) {
        if (agg_mode != AGG_ALLOWED)
            return bind_error(b, e->line, e->col, expr_len(e), NULL,
                              "aggregate function '%s' is not allowed in %s", lname, clause);
        if (e->star_arg && !str_ieq(lname, "count"))
            return bind_error(b, e->line, e->col, expr_len(e), NULL,
                              "'*' is only allowed in count(*)");
        int rc = bind_args(b, sc, nsc, e, AGG_NONE, "an aggregate function's argument");
        if (rc)
            return rc;
        bool is_acd = str_ieq(lname, "approx_count_distinct");
        int want = e->star_arg ? 0 : 1;
        if (e->nargs != want && !(is_acd && e->nargs == 2))
            return bind_error(b, e->line, e->col, expr_len(e), NULL,
                              "function %s takes %d argument%s, got %d", lname, want,
                              want == 1 ? "" : "s", e->nargs);
        if (is_acd && e->nargs == 2 && e->args[1]->kind != EXPR_LITERAL)
            return bind_error(b, e->args[1]->line, e->args[1]->col, expr_len(e->args[1]), NULL,
                              "approx_count_distinct's relative error must be a literal");
        type_id argt = e->star_arg ? TYPE_NULL : e->args[0]->type;
        type_id ret;
        if (agg->resolve(argt, &ret) != 0) {
            /* Spark casts strings to double for numeric aggregates. */
            if (argt == TYPE_STRING && agg->resolve(TYPE_DOUBLE, &ret) == 0) {
                e->args[0] = make_cast(b, e->args[0], TYPE_DOUBLE);
            } else {
                return bind_error(b, e->line, e->col, expr_len(e), NULL,
                                  "function %s cannot take a %s argument", lname,
                                  type_name(argt));
            }
        }
        if (is_acd && e->nargs == 2) {
            value rsd = e->args[1]->lit;
            double d = rsd.type == TYPE_DOUBLE ? rsd.v.f64
                       : rsd.type == TYPE_INT  ? rsd.v.i32
                       : rsd.type == TYPE_BIGINT ? (double)rsd.v.i64
                                                 : -1.0;
            agg = rsd.is_null ? NULL : agg_approx_count_distinct(d);
            if (!agg)
                return bind_error(b, e->args[1]->line, e->args[1]->col, expr_len(e->args[1]),
                                  NULL,
                                  "approx_count_distinct's relative error must be a number "
                                  "from 0.0022 to 0.39");
        }
        e->agg = agg;
        e->type = ret;
        return 0;
    }
    const scalar_func *fn = func_lookup(lname);
    if (!fn) {
        const char *cands[256];
        int n = 0;
        for (const char *const *p = func_names(); *p && n < 200; p++)
            cands[n++] = *p;
        for (const char *const *p = agg_names(); *p && n < 256; p++)
            cands[n++] = *p;
        return bind_error(b, e->line, e->col, (int)strlen(e->name), str_nearest(lname, cands, n),
                          "unknown function '%s'", e->name);
    }
    if (e->star_arg || e->distinct)
        return bind_error(b, e->line, e->col, expr_len(e), NULL,
                          "%s is not an aggregate function: '*' and DISTINCT are not allowed",
                          lname);
    if (e->nargs < fn->min_args || (fn->max_args >= 0 && e->nargs > fn->max_args)) {
        if (fn->min_args == fn->max_args)
            return bind_error(b, e->line, e->col, expr_len(e), NULL,
                              "function %s takes %d argument%s, got %d", lname, fn->min_args,
                              fn->min_args == 1 ? "" : "s", e->nargs);
        return bind_error(b, e->line, e->col, expr_len(e), NULL,
                          "function %s takes %d to %d arguments, got %d", lname, fn->min_args,
                          fn->max_args, e->nargs);
    }
    int rc = bind_args(b, sc, nsc, e, agg_mode, clause);
    if (rc)
        return rc;
    type_id argt[64], want[64], ret = TYPE_NULL;
    if (e->nargs > 64)
        return bind_error(b, e->line, e->col, expr_len(e), NULL, "too many arguments");
    for (int i = 0; i < e->nargs; i++)
        argt[i] = want[i] = e->args[i]->type;
    char msg[256] = "";
    if (fn->resolve(argt, e->nargs, want, &ret, msg, sizeof msg) != 0)
        return bind_error(b, e->line, e->col, expr_len(e), NULL, "%s",
                          msg[0] ? msg : "invalid argument types");
    for (int i = 0; i < e->nargs; i++) {
        if (want[i] != argt[i]) {
            if (!cast_allowed(argt[i], want[i]))
                return bind_error(b, e->args[i]->line, e->args[i]->col, expr_len(e->args[i]),
                                  NULL, "function %s cannot take a %s argument", lname,
                                  type_name(argt[i]));
            e->args[i] = make_cast(b, e->args[i], want[i]);
        }
    }
    e->fn = fn;
    e->type = ret;
    return 0;
}

static int coerce_all(binder *b, expr **items, int n, const char *what, expr *at)
{
    type_id t = TYPE_NULL;
    for (int i = 0; i < n; i++) {
        type_id c = common_type(t, items[i]->type);
        if (c == TYPE_COUNT_)
            return bind_error(b, items[i]->line, items[i]->col, expr_len(items[i]), NULL,
                              "%s: cannot combine %s and %s", what, type_name(t),
                              type_name(items[i]->type));
        t = c;
    }
    for (int i = 0; i < n; i++)
        items[i] = make_cast(b, items[i], t);
    return 0;
}

static int bind_expr(binder *b, const scope *sc, int nsc, expr **ep, int agg_mode,
                     const char *clause)
{
    expr *e = *ep;
    int rc;
    switch (e->kind) {
    case EXPR_LITERAL:
        e->type = e->lit.type;
        return 0;
    case EXPR_COLUMN:
    case EXPR_AGG_REF:
        return 0; /* already bound (shared subtree) */
    case EXPR_STAR:
        return bind_error(b, e->line, e->col, 1, NULL, "'*' is only allowed in a select list "
                                                       "or in count(*)");
    case EXPR_IDENT: {
        if (e->qualifier && !qualifier_is_relation(sc, nsc, e->qualifier)) {
            /* struct.field, e.g. window.start */
            int idx;
            if (try_resolve_column(b, sc, nsc, e->qualifier, &idx, e)) {
                expr *col = expr_new(b->a, EXPR_COLUMN, e->line, e->col);
                col->column = idx;
                col->type = scope_type(sc, nsc, idx);
                col->name = e->qualifier;
                col->text = e->qualifier;
                e->kind = EXPR_FIELD;
                e->args = arena_alloc(b->a, sizeof(expr *));
                e->args[0] = col;
                e->nargs = 1;
                e->qualifier = NULL;
                return bind_expr(b, sc, nsc, ep, agg_mode, clause);
            }
            const char *cands[64];
            int n = 0;
            for (int s = 0; s < nsc && n < 64; s++)
                cands[n++] = sc[s].qualifier;
            return bind_error(b, e->line, e->col, (int)strlen(e->qualifier),
                              str_nearest(e->qualifier, cands, n),
                              "unknown table or struct column '%s'", e->qualifier);
        }
        int idx;
        if ((rc = resolve_column(b, sc, nsc, e->qualifier, e->name, &idx, e)) != 0)
            return rc;
        e->kind = EXPR_COLUMN;
        e->column = idx;
        e->type = scope_type(sc, nsc, idx);
        return 0;
    }
    case EXPR_FIELD:
        if ((rc = bind_args(b, sc, nsc, e, agg_mode, clause)) != 0)
            return rc;
        if (e->args[0]->type != TYPE_WINDOW)
            return bind_error(b, e->line, e->col, expr_len(e), NULL,
                              "'%s' is not a struct: cannot get field '%s' from a %s",
                              expr_display(e->args[0]), e->name, type_name(e->args[0]->type));
        if (!str_ieq(e->name, "start") && !str_ieq(e->name, "end")) {
            static const char *const fields[] = {"start", "end"};
            return bind_error(b, e->line, e->col, expr_len(e), str_nearest(e->name, fields, 2),
                              "no field '%s' in the window struct", e->name);
        }
        e->type = TYPE_TIMESTAMP;
        return 0;
    case EXPR_CALL:
        return bind_call(b, sc, nsc, ep, agg_mode, clause);
    case EXPR_UNARY:
        if ((rc = bind_args(b, sc, nsc, e, agg_mode, clause)) != 0)
            return rc;
        if (e->op == OP_NOT) {
            if ((rc = require_boolean(b, &e->args[0], "the operand of NOT")) != 0)
                return rc;
            e->type = TYPE_BOOLEAN;
            return 0;
        }
        if (e->args[0]->type == TYPE_STRING)
            e->args[0] = make_cast(b, e->args[0], TYPE_DOUBLE);
        if (!type_is_numeric(e->args[0]->type) && e->args[0]->type != TYPE_NULL)
            return bind_error(b, e->line, e->col, expr_len(e), NULL,
                              "cannot negate a %s", type_name(e->args[0]->type));
        e->type = e->args[0]->type == TYPE_NULL ? TYPE_INT : e->args[0]->type;
        e->args[0] = make_cast(b, e->args[0], e->type);
        return 0;
    case EXPR_BINARY: {
        if ((rc = bind_args(b, sc, nsc, e, agg_mode, clause)) != 0)
            return rc;
        if (e->op == OP_AND || e->op == OP_OR) {
            const char *w = e->op == OP_AND ? "an operand of AND" : "an operand of OR";
            if ((rc = require_boolean(b, &e->args[0], w)) ||
                (rc = require_boolean(b, &e->args[1], w)))
                return rc;
            e->type = TYPE_BOOLEAN;
            return 0;
        }
        type_id lt, rt, ret;
        char msg[256] = "";
        if (expr_binary_types(e->op, e->args[0]->type, e->args[1]->type, &lt, &rt, &ret, msg,
                              sizeof msg) != 0)
            return bind_error(b, e->line, e->col, expr_len(e), NULL, "%s",
                              msg[0] ? msg : "operand types do not match");
        e->args[0] = make_cast(b, e->args[0], lt);
        e->args[1] = make_cast(b, e->args[1], rt);
        e->type = ret;
        return 0;
    }
    case EXPR_IS_NULL:
        if ((rc = bind_args(b, sc, nsc, e, agg_mode, clause)) != 0)
            return rc;
        e->type = TYPE_BOOLEAN;
        return 0;
    case EXPR_IN:
    case EXPR_BETWEEN:
        if ((rc = bind_args(b, sc, nsc, e, agg_mode, clause)) != 0)
            return rc;
        if ((rc = coerce_all(b, e->args, e->nargs, e->kind == EXPR_IN ? "IN" : "BETWEEN", e)))
            return rc;
        e->type = TYPE_BOOLEAN;
        return 0;
    case EXPR_LIKE:
        if ((rc = bind_args(b, sc, nsc, e, agg_mode, clause)) != 0)
            return rc;
        for (int i = 0; i < 2; i++) {
            if (e->args[i]->type == TYPE_WINDOW)
                return bind_error(b, e->args[i]->line, e->args[i]->col, expr_len(e->args[i]),
                                  NULL, "LIKE needs strings, got a %s",
                                  type_name(e->args[i]->type));
            e->args[i] = make_cast(b, e->args[i], TYPE_STRING);
        }
        e->type = TYPE_BOOLEAN;
        return 0;
    case EXPR_CASE: {
        if ((rc = bind_args(b, sc, nsc, e, agg_mode, clause)) != 0)
            return rc;
        expr *results[130];
        int nres = 0;
        if (e->nargs / 2 + 1 > 128)
            return bind_error(b, e->line, e->col, 4, NULL, "too many WHEN branches");
        for (int i = 0; i + 1 < e->nargs; i += 2) {
            if ((rc = require_boolean(b, &e->args[i], "a WHEN condition")) != 0)
                return rc;
            results[nres++] = e->args[i + 1];
        }
        if (e->else_expr)
            results[nres++] = e->else_expr;
        if ((rc = coerce_all(b, results, nres, "CASE branches", e)) != 0)
            return rc;
        int k = 0;
        for (int i = 0; i + 1 < e->nargs; i += 2)
            e->args[i + 1] = results[k++];
        if (e->else_expr)
            e->else_expr = results[k++];
        e->type = results[0]->type;
        return 0;
    }
    case EXPR_CAST:
        if ((rc = bind_args(b, sc, nsc, e, agg_mode, clause)) != 0)
            return rc;
        if (!cast_allowed(e->args[0]->type, e->cast_to))
            return bind_error(b, e->line, e->col, expr_len(e), NULL, "cannot cast %s to %s",
                              type_name(e->args[0]->type), type_name(e->cast_to));
        e->type = e->cast_to;
        return 0;
    }
    return bind_error(b, e->line, e->col, 1, NULL, "unsupported expression");
}

/* ---- aggregation rewrite ----------------------------------------------- */

typedef struct agg_ctx {
    expr **keys;
    int nkeys;
    expr **calls; /* distinct aggregate calls, bound */
    int ncalls;
    int cap;
} agg_ctx;

/* Rewrites a bound expression over the aggregation's input into one over its
 * output (keys then aggregates), collecting aggregate calls. */
static int rewrite_post_agg(binder *b, agg_ctx *ac, expr **ep, const char *clause)
{
    expr *e = *ep;
    for (int k = 0; k < ac->nkeys; k++) {
        if (expr_equal(e, ac->keys[k])) {
            expr *r = expr_new(b->a, EXPR_AGG_REF, e->line, e->col);
            r->column = k;
            r->type = e->type;
            r->text = e->text;
            r->name = e->name;
            *ep = r;
            return 0;
        }
    }
    if (e->kind == EXPR_CALL && e->agg) {
        int slot = -1;
        for (int i = 0; i < ac->ncalls; i++)
            if (expr_equal(e, ac->calls[i]))
                slot = i;
        if (slot < 0) {
            if (ac->ncalls == ac->cap) {
                ac->cap = ac->cap ? ac->cap * 2 : 8;
                ac->calls = xrealloc(ac->calls, (size_t)ac->cap * sizeof(expr *));
            }
            slot = ac->ncalls;
            ac->calls[ac->ncalls++] = e;
        }
        expr *r = expr_new(b->a, EXPR_AGG_REF, e->line, e->col);
        r->column = ac->nkeys + slot;
        r->type = e->type;
        r->text = e->text;
        *ep = r;
        return 0;
    }
    if (e->kind == EXPR_COLUMN)
        return bind_error(b, e->line, e->col, expr_len(e), NULL,
                          "expression '%s' is neither present in the group by, nor is it an "
                          "aggregate function (in %s)",
                          expr_display(e), clause);
    for (int i = 0; i < e->nargs; i++) {
        int rc = rewrite_post_agg(b, ac, &e->args[i], clause);
        if (rc)
            return rc;
    }
    if (e->else_expr)
        return rewrite_post_agg(b, ac, &e->else_expr, clause);
    return 0;
}

static bool ast_has_agg(const expr *e)
{
    if (!e)
        return false;
    if (e->kind == EXPR_CALL && agg_lookup(e->name))
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (ast_has_agg(e->args[i]))
            return true;
    return ast_has_agg(e->else_expr);
}

/* ---- relations ---------------------------------------------------------- */

static int find_source(const bound_pipeline *p, const char *name)
{
    for (int i = 0; i < p->nsources; i++)
        if (str_ieq(p->sources[i].name, name))
            return i;
    return -1;
}

static int find_table(const bound_pipeline *p, const char *name)
{
    for (int i = 0; i < p->ntables; i++)
        if (str_ieq(p->tables[i].name, name))
            return i;
    return -1;
}

static int find_view(const bound_pipeline *p, const char *name)
{
    for (int i = 0; i < p->nviews; i++)
        if (str_ieq(p->views[i].name, name))
            return i;
    return -1;
}

static bool name_taken(const bound_pipeline *p, const char *name)
{
    if (find_source(p, name) >= 0 || find_table(p, name) >= 0 || find_view(p, name) >= 0)
        return true;
    for (int i = 0; i < p->nqueries; i++)
        if (str_ieq(p->queries[i].name, name))
            return true;
    return false;
}

typedef struct bound_select {
    plan_node *top;
    plan_node *scan;
    plan_node *agg;
    const ast_select *ast;
    int order_line, order_col, limit_line, limit_col;
    bool has_order, has_limit;
} bound_select;

static int bind_select(binder *b, const ast_select *sel, bound_select *out);

/* How many trailing columns of the source are metadata columns that SELECT *
 * leaves out (source_ops.option_schema's `hidden`). */
static int source_hidden_columns(const catalog_source *src)
{
    if (!src->ops->option_schema)
        return 0;
    schema fixed, hidden;
    schema_init(&fixed);
    schema_init(&hidden);
    src->ops->option_schema(&src->opts, &fixed, &hidden);
    int n = fixed.n > 0 ? 0 : hidden.n;
    schema_free(&fixed);
    schema_free(&hidden);
    return n;
}

static int bind_from(binder *b, const ast_from *from, bound_select *out)
{
    int si = find_source(b->p, from->name);
    if (si >= 0) {
        plan_node *scan = plan_node_new(b->a, PLAN_SCAN, NULL);
        scan->source = si;
        schema_copy(&scan->out, &b->p->sources[si].schema);
        out->top = out->scan = scan;
        return 0;
    }
    int vi = find_view(b->p, from->name);
    if (vi >= 0) {
        if (b->view_depth > 32)
            return bind_error(b, from->line, from->col, (int)strlen(from->name), NULL,
                              "view '%s' refers to itself", from->name);
        b->view_depth++;
        int rc = bind_select(b, b->p->views[vi].select, out);
        b->view_depth--;
        if (rc)
            return rc;
        if (out->has_order || out->has_limit)
            return bind_error(b, from->line, from->col, (int)strlen(from->name), NULL,
                              "view '%s' has ORDER BY or LIMIT, which a streaming query can "
                              "only apply last",
                              from->name);
        return 0;
    }
    if (find_table(b->p, from->name) >= 0)
        return bind_error(b, from->line, from->col, (int)strlen(from->name), NULL,
                          "'%s' is a static table; a streaming query must read FROM a source "
                          "(static tables are only for joins)",
                          from->name);
    const char *cands[256];
    int n = 0;
    for (int i = 0; i < b->p->nsources && n < 256; i++)
        cands[n++] = b->p->sources[i].name;
    for (int i = 0; i < b->p->nviews && n < 256; i++)
        cands[n++] = b->p->views[i].name;
    for (int i = 0; i < b->p->ntables && n < 256; i++)
        cands[n++] = b->p->tables[i].name;
    return bind_error(b, from->line, from->col, (int)strlen(from->name),
                      str_nearest(from->name, cands, n), "unknown source or view '%s'",
                      from->name);
}

/* Resolves a GROUP BY / ORDER BY item that names a select alias or is an
 * ordinal; returns a fresh copy of that select item's expression or NULL. */
static expr *alias_or_ordinal(binder *b, const ast_select *sel, const expr *e, bool *is_ordinal,
                              const scope *sc, int nsc)
{
    *is_ordinal = false;
    if (e->kind == EXPR_LITERAL && (e->lit.type == TYPE_INT || e->lit.type == TYPE_BIGINT) &&
        !e->lit.is_null) {
        *is_ordinal = true;
        long long k = e->lit.type == TYPE_INT ? e->lit.v.i32 : e->lit.v.i64;
        if (k < 1 || k > sel->nitems || sel->items[k - 1].e->kind == EXPR_STAR)
            return NULL;
        return expr_clone(b->a, sel->items[k - 1].e);
    }
    if (e->kind != EXPR_IDENT || e->qualifier)
        return NULL;
    int idx;
    if (try_resolve_column(b, sc, nsc, e->name, &idx, e))
        return NULL;
    for (int i = 0; i < sel->nitems; i++)
        if (sel->items[i].alias && str_ieq(sel->items[i].alias, e->name))
            return expr_clone(b->a, sel->items[i].e);
    return NULL;
}

/* The first window()/session_window() call in an unbound expression. */
static const expr *find_window_call(const expr *e)
{
    if (!e)
        return NULL;
    if (e->kind == EXPR_CALL && is_window_name(e->name))
        return e;
    for (int i = 0; i < e->nargs; i++) {
        const expr *w = find_window_call(e->args[i]);
        if (w)
            return w;
    }
    return find_window_call(e->else_expr);
}

static const expr *select_window_call(const ast_select *sel)
{
    const expr *w = NULL;
    for (int i = 0; i < sel->ngroup_by && !w; i++)
        w = find_window_call(sel->group_by[i]);
    for (int i = 0; i < sel->nitems && !w; i++)
        w = find_window_call(sel->items[i].e);
    for (int i = 0; i < sel->norder_by && !w; i++)
        w = find_window_call(sel->order_by[i].e);
    return w ? w : find_window_call(sel->having);
}

/* True when bound expression e is a column that carries the watermark. */
static bool is_event_time(const scope *sc, int nsc, const expr *e)
{
    if (e->kind != EXPR_COLUMN)
        return false;
    int local;
    const schema *s = scope_column_schema(sc, nsc, e->column, &local);
    return s && s->fields[local].event_time;
}

/* Splits a bound ON condition into equi-join keys (stream side = table side,
 * cast to a common type) and the rest (the residual, ANDed back together).
 * Columns below `nstream` belong to the stream, the others to the table. */
static bool refs_only(const expr *e, int lo, int hi)
{
    if (!e)
        return true;
    if (e->kind == EXPR_COLUMN && (e->column < lo || e->column >= hi))
        return false;
    for (int i = 0; i < e->nargs; i++)
        if (!refs_only(e->args[i], lo, hi))
            return false;
    return refs_only(e->else_expr, lo, hi);
}

static bool refs_any(const expr *e)
{
    if (!e)
        return false;
    if (e->kind == EXPR_COLUMN)
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (refs_any(e->args[i]))
            return true;
    return refs_any(e->else_expr);
}

static void shift_columns(expr *e, int by)
{
    if (!e)
        return;
    if (e->kind == EXPR_COLUMN)
        e->column += by;
    for (int i = 0; i < e->nargs; i++)
        shift_columns(e->args[i], by);
    shift_columns(e->else_expr, by);
}

/* x AND y (x may be NULL: then y). */
static expr *and_of(binder *b, expr *x, expr *y)
{
    if (!x)
        return y;
    expr *and = expr_new(b->a, EXPR_BINARY, y->line, y->col);
    and->op = OP_AND;
    and->type = TYPE_BOOLEAN;
    and->nargs = 2;
    and->args = arena_alloc(b->a, 2 * sizeof(expr *));
    and->args[0] = x;
    and->args[1] = y;
    return and;
}

static void split_join_condition(binder *b, expr *on, int nstream, int ntotal, plan_node *j)
{
    if (on->kind == EXPR_BINARY && on->op == OP_AND) {
        split_join_condition(b, on->args[0], nstream, ntotal, j);
        split_join_condition(b, on->args[1], nstream, ntotal, j);
        return;
    }
    if (on->kind == EXPR_BINARY && on->op == OP_EQ) {
        expr *l = on->args[0], *r = on->args[1];
        if (refs_only(r, 0, nstream) && refs_only(l, nstream, ntotal)) {
            expr *t = l;
            l = r;
            r = t;
        }
        if (refs_any(l) && refs_any(r) && refs_only(l, 0, nstream) &&
            refs_only(r, nstream, ntotal)) {
            j->probe_keys = xrealloc(j->probe_keys, (size_t)(j->njoin_keys + 1) * sizeof(expr *));
            j->build_keys = xrealloc(j->build_keys, (size_t)(j->njoin_keys + 1) * sizeof(expr *));
            expr *rk = expr_clone(b->a, r);
            shift_columns(rk, -nstream);
            j->probe_keys[j->njoin_keys] = l;
            j->build_keys[j->njoin_keys] = rk;
            j->njoin_keys++;
            return;
        }
    }
    j->residual = and_of(b, j->residual, on);
}

static void split_conjuncts(binder *b, expr *e, int nstream, expr **below, expr **above)
{
    if (e->kind == EXPR_BINARY && e->op == OP_AND) {
        split_conjuncts(b, e->args[0], nstream, below, above);
        split_conjuncts(b, e->args[1], nstream, below, above);
        return;
    }
    if (refs_only(e, 0, nstream))
        *below = and_of(b, *below, e);
    else
        *above = and_of(b, *above, e);
}

/* WHERE conjuncts that read only the stream's columns run before the join
 * (Spark's PushPredicateThroughJoin: allowed for inner joins and for the
 * preserved side of a left outer join); returns the rest, or NULL. */
static expr *push_below_join(binder *b, expr *where, plan_node *j)
{
    int nstream = j->child->out.n;
    expr *below = NULL, *above = NULL;
    split_conjuncts(b, where, nstream, &below, &above);
    if (below) {
        plan_node *f = plan_node_new(b->a, PLAN_FILTER, j->child);
        f->predicate = below;
        schema_copy(&f->out, &j->child->out);
        j->child = f;
    }
    return above;
}

/* FROM stream JOIN table ON ...: a PLAN_JOIN above out->top; fills the two
 * scopes (the stream's columns, then the table's). */
static int bind_join(binder *b, const ast_select *sel, bound_select *out, scope *sc)
{
    const ast_from *jt = &sel->join_table;
    int ti = find_table(b->p, jt->name);
    if (ti < 0) {
        bool stream = find_source(b->p, jt->name) >= 0 || find_view(b->p, jt->name) >= 0;
        const char *cands[256];
        int n = 0;
        for (int i = 0; i < b->p->ntables && n < 256; i++)
            cands[n++] = b->p->tables[i].name;
        if (stream)
            return bind_error(b, jt->line, jt->col, (int)strlen(jt->name), NULL,
                              "'%s' is a stream; eddy joins a stream with a static table "
                              "(CREATE TABLE), not two streams",
                              jt->name);
        return bind_error(b, jt->line, jt->col, (int)strlen(jt->name),
                          str_nearest(jt->name, cands, n), "unknown table '%s'", jt->name);
    }
    const catalog_table *t = &b->p->tables[ti];
    plan_node *j = plan_node_new(b->a, PLAN_JOIN, out->top);
    out->top = j;
    j->table = ti;
    j->table_name = t->name;
    j->left_outer = sel->join == JOIN_LEFT;
    schema_copy(&j->out, &j->child->out);
    int nstream = j->out.n;
    for (int i = 0; i < t->schema.n; i++)
        schema_add(&j->out, t->schema.fields[i].name, t->schema.fields[i].type);
    sc[1].qualifier = jt->alias ? jt->alias : jt->name;
    sc[1].name = jt->name;
    sc[1].schema = &t->schema;
    const char *lq = sc[0].qualifier, *rq = sc[1].qualifier;
    if (str_ieq(lq, rq))
        return bind_error(b, jt->line, jt->col, (int)strlen(jt->name), NULL,
                          "both sides of the join are called '%s'; give one an alias", rq);
    if (!sel->join_on)
        return bind_error(b, jt->line, jt->col, (int)strlen(jt->name), NULL,
                          "JOIN needs an ON condition");
    expr *on = expr_clone(b->a, sel->join_on);
    if (ast_has_agg(on))
        return bind_error(b, on->line, on->col, expr_len(on), NULL,
                          "aggregate functions are not allowed in a join condition");
    int rc;
    if ((rc = bind_expr(b, sc, 2, &on, AGG_NONE, "the join condition")) ||
        (rc = require_boolean(b, &on, "the join condition")))
        return rc;
    split_join_condition(b, on, nstream, j->out.n, j);
    return 0;
}

static const char *item_name(binder *b, const ast_select_item *it, const expr *bound)
{
    if (it->alias)
        return it->alias;
    if (bound->kind == EXPR_COLUMN && it->e->kind == EXPR_IDENT && bound->name)
        return bound->name;
    return expr_default_name(b->a, bound);
}

static int bind_select_body(binder *b, const ast_select *sel, bound_select *out)
{
    memset(out, 0, sizeof *out);
    out->ast = sel;
    int rc;
    if ((rc = bind_from(b, &sel->from, out)) != 0)
        return rc;
    /* Scopes: the stream, then the joined table, then the window column. */
    scope sc[3] = {{sel->from.alias ? sel->from.alias : sel->from.name, sel->from.name,
                    &out->top->out, 0}};
    int nsc = 1;
    if (out->top == out->scan)
        sc[0].nhidden = source_hidden_columns(&b->p->sources[out->scan->source]);
    schema stream_part;
    schema_copy(&stream_part, &out->top->out);
    if (sel->join != JOIN_NONE) {
        sc[0].schema = &stream_part;
        rc = bind_join(b, sel, out, sc);
        /* The scope must outlive binding; keep its copy in the join node. */
        if (rc == 0) {
            plan_node *j = out->top;
            schema *keep = arena_calloc(b->a, sizeof *keep);
            keep->n = stream_part.n;
            keep->fields = arena_alloc(b->a, (size_t)(keep->n ? keep->n : 1) * sizeof(field));
            for (int i = 0; i < keep->n; i++)
                keep->fields[i] = j->out.fields[i];
            sc[0].schema = keep;
            nsc = 2;
        }
        schema_free(&stream_part);
        if (rc)
            return rc;
    } else {
        schema_free(&stream_part);
    }

    if (sel->where) {
        if (ast_has_agg(sel->where)) {
            const expr *w = sel->where;
            return bind_error(b, w->line, w->col, expr_len(w), NULL,
                              "aggregate functions are not allowed in WHERE; use HAVING");
        }
        expr *w = expr_clone(b->a, sel->where);
        if ((rc = bind_expr(b, sc, nsc, &w, AGG_NONE, "WHERE")) ||
            (rc = require_boolean(b, &w, "the WHERE condition")))
            return rc;
        if (out->top->kind == PLAN_JOIN)
            w = push_below_join(b, w, out->top);
        if (w) {
            plan_node *f = plan_node_new(b->a, PLAN_FILTER, out->top);
            f->predicate = w;
            schema_copy(&f->out, &out->top->out);
            out->top = f;
        }
    }

    /* window()/session_window(): a PLAN_WINDOW node adds the window column
     * (Spark's TimeWindowing runs below the aggregation, above the filter). */
    const expr *wcall = select_window_call(sel);
    if (wcall) {
        expr *wc = expr_clone(b->a, wcall);
        window_spec ws;
        if ((rc = bind_window_spec(b, sc, nsc, wc, &ws)) != 0)
            return rc;
        plan_node *w = plan_node_new(b->a, PLAN_WINDOW, out->top);
        w->time_col = ws.time_col;
        w->session = ws.session;
        w->win_size_us = ws.size_us;
        w->win_slide_us = ws.slide_us;
        w->win_start_us = ws.start_us;
        schema_copy(&w->out, &out->top->out);
        const char *wname = ws.session ? "session_window" : "window";
        schema_add(&w->out, wname, TYPE_WINDOW);
        w->out.fields[w->out.n - 1].event_time = is_event_time(sc, nsc, ws.time_col);
        out->top = w;
        schema *wsch = arena_calloc(b->a, sizeof *wsch);
        wsch->n = 1;
        wsch->fields = arena_alloc(b->a, sizeof(field));
        wsch->fields[0] = w->out.fields[w->out.n - 1];
        sc[nsc].qualifier = "\x01window"; /* not a name a query can write */
        sc[nsc].name = NULL;
        sc[nsc].schema = wsch;
        nsc++;
        b->have_window = true;
        b->win = ws;
        b->win_column = w->out.n - 1;
    }

    bool aggregating = sel->ngroup_by > 0 || ast_has_agg(sel->having);
    for (int i = 0; i < sel->nitems && !aggregating; i++)
        aggregating = ast_has_agg(sel->items[i].e);
    for (int i = 0; i < sel->norder_by && !aggregating; i++)
        aggregating = ast_has_agg(sel->order_by[i].e);

    out->has_order = sel->norder_by > 0;
    out->has_limit = sel->limit >= 0;
    out->order_line = sel->order_line;
    out->order_col = sel->order_col;
    out->limit_line = sel->limit_line;
    out->limit_col = sel->limit_col;

    if (!aggregating) {
        if (sel->having)
            return bind_error(b, sel->having->line, sel->having->col, expr_len(sel->having),
                              NULL, "HAVING needs GROUP BY or an aggregate");
        if (sel->norder_by > 0)
            return bind_error(b, sel->order_line, sel->order_col, 5, NULL,
                              "sorting is not supported on streaming queries, unless it is on "
                              "an aggregation in complete output mode");
        if (sel->limit >= 0)
            return bind_error(b, sel->limit_line, sel->limit_col, 5, NULL,
                              "LIMIT is not supported on streaming queries, unless it is on "
                              "an aggregation in complete output mode");
        plan_node *proj = plan_node_new(b->a, PLAN_PROJECT, out->top);
        out->top = proj; /* from here on the caller frees it on error */
        int cap = 8;
        proj->exprs = xmalloc((size_t)cap * sizeof(expr *));
        for (int i = 0; i < sel->nitems; i++) {
            const ast_select_item *it = &sel->items[i];
            if (it->e->kind == EXPR_STAR) {
                if (it->e->qualifier && !qualifier_is_relation(sc, nsc, it->e->qualifier))
                    return bind_error(b, it->e->line, it->e->col,
                                      (int)strlen(it->e->qualifier), NULL,
                                      "unknown table '%s' in '%s.*'", it->e->qualifier,
                                      it->e->qualifier);
                int base = 0;
                for (int si = 0; si < nsc; si++) {
                    const scope *r = &sc[si];
                    bool pick = r->qualifier[0] != '\x01' &&
                                (!it->e->qualifier || str_ieq(it->e->qualifier, r->qualifier) ||
                                 (r->name && str_ieq(it->e->qualifier, r->name)));
                    for (int c = 0; pick && c < r->schema->n - r->nhidden; c++) {
                        if (proj->nexprs == cap) {
                            cap *= 2;
                            proj->exprs = xrealloc(proj->exprs, (size_t)cap * sizeof(expr *));
                        }
                        const field *fd = &r->schema->fields[c];
                        expr *ce = expr_new(b->a, EXPR_COLUMN, it->e->line, it->e->col);
                        ce->column = base + c;
                        ce->type = fd->type;
                        ce->name = arena_strndup(b->a, fd->name, strlen(fd->name));
                        ce->text = ce->name;
                        proj->exprs[proj->nexprs++] = ce;
                        schema_add(&proj->out, ce->name, ce->type);
                        proj->out.fields[proj->out.n - 1].event_time = fd->event_time;
                    }
                    base += r->schema->n;
                }
                continue;
            }
            expr *e = expr_clone(b->a, it->e);
            if ((rc = bind_expr(b, sc, nsc, &e, AGG_NONE, "SELECT")) != 0)
                return rc;
            if (e->kind == EXPR_COLUMN)
                e->name = scope_field(sc, nsc, e->column)->name;
            if (proj->nexprs == cap) {
                cap *= 2;
                proj->exprs = xrealloc(proj->exprs, (size_t)cap * sizeof(expr *));
            }
            proj->exprs[proj->nexprs++] = e;
            schema_add(&proj->out, item_name(b, it, e), e->type);
            proj->out.fields[proj->out.n - 1].event_time = is_event_time(sc, nsc, e);
        }
        out->top = proj;
        if (sel->distinct) {
            plan_node *d = plan_node_new(b->a, PLAN_AGGREGATE, out->top);
            d->dedup = true;
            d->nkeys = proj->out.n;
            d->keys = xmalloc((size_t)(d->nkeys ? d->nkeys : 1) * sizeof(expr *));
            for (int c = 0; c < d->nkeys; c++) {
                expr *ce = expr_new(b->a, EXPR_COLUMN, sel->line, sel->col);
                ce->column = c;
                ce->type = proj->out.fields[c].type;
                ce->name = proj->out.fields[c].name;
                d->keys[c] = ce;
                if (d->wm_key < 0 && proj->out.fields[c].event_time)
                    d->wm_key = c;
            }
            schema_copy(&d->out, &proj->out);
            out->top = out->agg = d;
        }
        return 0;
    }

    /* Aggregation: keys, then every select/having/order expression bound
     * over the input and rewritten over the aggregation's output. */
    agg_ctx ac = {0};
    ac.nkeys = sel->ngroup_by;
    ac.keys = xmalloc((size_t)(ac.nkeys ? ac.nkeys : 1) * sizeof(expr *));
    const char **key_names = xmalloc((size_t)(ac.nkeys ? ac.nkeys : 1) * sizeof(char *));
    for (int k = 0; k < sel->ngroup_by; k++) {
        const expr *g = sel->group_by[k];
        bool ordinal;
        expr *ke = alias_or_ordinal(b, sel, g, &ordinal, sc, nsc);
        if (!ke && ordinal) {
            rc = bind_error(b, g->line, g->col, expr_len(g), NULL,
                            "GROUP BY position %s is not in the select list", expr_display(g));
            goto agg_fail;
        }
        if (!ke)
            ke = expr_clone(b->a, g);
        if (ast_has_agg(ke)) {
            rc = bind_error(b, g->line, g->col, expr_len(g), NULL,
                            "aggregate functions are not allowed in GROUP BY");
            goto agg_fail;
        }
        if ((rc = bind_expr(b, sc, nsc, &ke, AGG_NONE, "GROUP BY")) != 0)
            goto agg_fail;
        key_names[k] = expr_default_name(b->a, ke);
        if (ke->kind == EXPR_COLUMN)
            key_names[k] = scope_field(sc, nsc, ke->column)->name;
        ac.keys[k] = ke;
    }

    int nitems = sel->nitems;
    expr **items = xmalloc((size_t)(nitems ? nitems : 1) * sizeof(expr *));
    const char **item_names = xmalloc((size_t)(nitems ? nitems : 1) * sizeof(char *));
    for (int i = 0; i < nitems; i++) {
        const ast_select_item *it = &sel->items[i];
        if (it->e->kind == EXPR_STAR) {
            rc = bind_error(b, it->e->line, it->e->col, 1, NULL,
                            "'*' cannot be used in an aggregation's select list");
            goto items_fail;
        }
        expr *e = expr_clone(b->a, it->e);
        if ((rc = bind_expr(b, sc, nsc, &e, AGG_ALLOWED, "SELECT")) != 0)
            goto items_fail;
        item_names[i] = item_name(b, it, e);
        if (e->kind == EXPR_COLUMN)
            item_names[i] = it->alias ? it->alias : scope_field(sc, nsc, e->column)->name;
        if ((rc = rewrite_post_agg(b, &ac, &e, "SELECT")) != 0)
            goto items_fail;
        items[i] = e;
    }
    expr *having = NULL;
    if (sel->having) {
        having = expr_clone(b->a, sel->having);
        if ((rc = bind_expr(b, sc, nsc, &having, AGG_ALLOWED, "HAVING")) ||
            (rc = require_boolean(b, &having, "the HAVING condition")) ||
            (rc = rewrite_post_agg(b, &ac, &having, "HAVING")))
            goto items_fail;
    }
    expr **sort_keys = NULL;
    if (sel->norder_by) {
        sort_keys = xmalloc((size_t)sel->norder_by * sizeof(expr *));
        for (int i = 0; i < sel->norder_by; i++) {
            const expr *o = sel->order_by[i].e;
            bool ordinal;
            expr *oe = alias_or_ordinal(b, sel, o, &ordinal, sc, nsc);
            if (!oe && ordinal) {
                free(sort_keys);
                rc = bind_error(b, o->line, o->col, expr_len(o), NULL,
                                "ORDER BY position %s is not in the select list",
                                expr_display(o));
                goto items_fail;
            }
            if (!oe)
                oe = expr_clone(b->a, o);
            if ((rc = bind_expr(b, sc, nsc, &oe, AGG_ALLOWED, "ORDER BY")) ||
                (rc = rewrite_post_agg(b, &ac, &oe, "ORDER BY"))) {
                free(sort_keys);
                goto items_fail;
            }
            sort_keys[i] = oe;
        }
    }

    /* The window must be a grouping key; session windows cannot take
     * DISTINCT aggregates (their states merge when sessions do). */
    int session_key = -1;
    if (b->have_window) {
        int wk = -1;
        for (int k = 0; k < ac.nkeys; k++)
            if (ac.keys[k]->kind == EXPR_COLUMN && ac.keys[k]->column == b->win_column)
                wk = k;
        const expr *w = select_window_call(sel);
        if (wk < 0) {
            free(sort_keys);
            rc = bind_error(b, w->line, w->col, expr_len(w), NULL,
                            "%s must be a GROUP BY key of the aggregation",
                            b->win.session ? "session_window" : "window");
            goto items_fail;
        }
        if (b->win.session && ac.nkeys == 1) {
            free(sort_keys);
            rc = bind_error(b, w->line, w->col, expr_len(w), NULL,
                            "global aggregation with session window in streaming query is "
                            "not supported: group by another column too (as in Spark)");
            goto items_fail;
        }
        if (b->win.session)
            session_key = wk;
        for (int i = 0; i < ac.ncalls && session_key >= 0; i++) {
            if (ac.calls[i]->distinct) {
                const expr *c = ac.calls[i];
                free(sort_keys);
                rc = bind_error(b, c->line, c->col, expr_len(c), NULL,
                                "DISTINCT aggregates are not supported with session_window");
                goto items_fail;
            }
        }
    }

    plan_node *agg = plan_node_new(b->a, PLAN_AGGREGATE, out->top);
    agg->keys = ac.keys;
    agg->nkeys = ac.nkeys;
    agg->naggs = ac.ncalls;
    agg->aggs = xcalloc((size_t)(ac.ncalls ? ac.ncalls : 1), sizeof(agg_spec));
    agg->agg_args = xcalloc((size_t)(ac.ncalls ? ac.ncalls : 1), sizeof(expr *));
    for (int k = 0; k < ac.nkeys; k++) {
        schema_add(&agg->out, key_names[k], ac.keys[k]->type);
        if (!is_event_time(sc, nsc, ac.keys[k]))
            continue;
        agg->out.fields[k].event_time = true;
        if (agg->wm_key < 0)
            agg->wm_key = k;
    }
    agg->session_key = session_key;
    for (int i = 0; i < ac.ncalls; i++) {
        expr *c = ac.calls[i];
        agg->aggs[i].fn = c->agg;
        agg->aggs[i].distinct = c->distinct;
        agg->aggs[i].ret_type = c->type;
        agg->aggs[i].arg_type = c->star_arg ? TYPE_NULL : c->args[0]->type;
        agg->agg_args[i] = c->star_arg ? NULL : c->args[0];
        schema_add(&agg->out, expr_default_name(b->a, c), c->type);
    }
    free(ac.calls);
    free(key_names);
    out->agg = agg;
    out->top = agg;
    if (having) {
        plan_node *f = plan_node_new(b->a, PLAN_FILTER, out->top);
        f->predicate = having;
        schema_copy(&f->out, &out->top->out);
        out->top = f;
    }
    if (sel->norder_by) {
        plan_node *s = plan_node_new(b->a, PLAN_SORT, out->top);
        s->sort_keys = sort_keys;
        s->nsort = sel->norder_by;
        s->sort_desc = xmalloc((size_t)s->nsort * sizeof(bool));
        s->sort_nulls_first = xmalloc((size_t)s->nsort * sizeof(bool));
        for (int i = 0; i < s->nsort; i++) {
            s->sort_desc[i] = sel->order_by[i].desc;
            int nulls = sel->order_by[i].nulls;
            s->sort_nulls_first[i] = nulls == 1 || (nulls == 0 && !s->sort_desc[i]);
        }
        schema_copy(&s->out, &out->top->out);
        out->top = s;
    }
    if (sel->limit >= 0) {
        plan_node *l = plan_node_new(b->a, PLAN_LIMIT, out->top);
        l->limit = sel->limit;
        schema_copy(&l->out, &out->top->out);
        out->top = l;
    }
    plan_node *proj = plan_node_new(b->a, PLAN_PROJECT, out->top);
    proj->exprs = items;
    proj->nexprs = nitems;
    for (int i = 0; i < nitems; i++)
        schema_add(&proj->out, item_names[i], items[i]->type);
    free(item_names);
    out->top = proj;
    return 0;

items_fail:
    free(items);
    free(item_names);
agg_fail:
    free(ac.keys);
    free(ac.calls);
    free(key_names);
    return rc;
}

static int bind_select(binder *b, const ast_select *sel, bound_select *out)
{
    /* A view's SELECT has its own window. */
    bool had = b->have_window;
    window_spec win = b->win;
    int col = b->win_column;
    b->have_window = false;
    int rc = bind_select_body(b, sel, out);
    b->have_window = had;
    b->win = win;
    b->win_column = col;
    return rc;
}

/* ---- statements --------------------------------------------------------- */

/* Options whose values have a fixed shape, checked here so a bad value gets
 * a position instead of failing when the query starts. */
static int check_option_values(binder *b, const ast_stmt *st)
{
    static const char *const bools[] = {"header", "latestFirst", "multiLine", NULL};
    static const char *const ints[] = {"maxFilesPerTrigger", "rowsPerSecond", "numRows",
                                       "numPartitions", NULL};
    static const char *const chars[] = {"sep", "delimiter", "quote", "escape", NULL};
    for (int i = 0; i < st->opts.n; i++) {
        const option_kv *kv = &st->opts.kv[i];
        eddy_error e2;
        int rc = 0;
        for (int k = 0; bools[k] && rc == 0; k++) {
            bool v;
            if (str_ieq(kv->key, bools[k]))
                rc = options_bool(&st->opts, kv->key, false, &v, &e2);
        }
        for (int k = 0; ints[k] && rc == 0; k++) {
            int64_t v;
            if (str_ieq(kv->key, ints[k]))
                rc = options_int(&st->opts, kv->key, 0, &v, &e2);
        }
        for (int k = 0; chars[k] && rc == 0; k++) {
            char v;
            if (str_ieq(kv->key, chars[k]))
                rc = options_char(&st->opts, kv->key, 0, &v, &e2);
        }
        if (rc)
            return bind_error(b, kv->line ? kv->line : st->line, kv->line ? kv->col : st->col,
                              (int)strlen(kv->key), NULL, "%s", e2.message);
    }
    return 0;
}

static int check_options(binder *b, const ast_stmt *st, const char *what, const char *format,
                         const char *const *known, const char *const *extra,
                         const char *const *prefixes)
{
    const char *all[128];
    int n = 0;
    for (int i = 0; known && known[i] && n < 120; i++)
        all[n++] = known[i];
    for (int i = 0; extra && extra[i] && n < 127; i++)
        all[n++] = extra[i];
    all[n] = NULL;
    int bad = options_first_unknown(&st->opts, all, prefixes);
    if (bad < 0)
        return check_option_values(b, st);
    const option_kv *kv = &st->opts.kv[bad];
    return bind_error(b, kv->line ? kv->line : st->line, kv->line ? kv->col : st->col,
                      (int)strlen(kv->key), str_nearest(kv->key, all, n),
                      "unknown option '%s' for %s format '%s'", kv->key, what, format);
}

static int option_error(binder *b, const ast_stmt *st, const char *key, const char *fmt,
                        const char *arg)
{
    const option_kv *kv = options_find(&st->opts, key);
    int line = kv && kv->line ? kv->line : st->line;
    int col = kv && kv->line ? kv->col : st->col;
    return bind_error(b, line, col, kv ? (int)strlen(kv->key) : 1, NULL, fmt, arg);
}

static int format_lookup_error(binder *b, const ast_stmt *st, const char *format,
                               const char *const *names, const char *what)
{
    const option_kv *kv = options_find(&st->opts, "format");
    int n = 0;
    while (names[n])
        n++;
    return bind_error(b, kv && kv->line ? kv->line : st->line, kv && kv->line ? kv->col : st->col,
                      kv ? (int)strlen(kv->key) : 1, str_nearest(format, names, n),
                      "unknown %s format '%s'", what, format);
}

static int bind_columns(binder *b, const ast_stmt *st, schema *s)
{
    schema_init(s);
    const char *ddl = options_get(&st->opts, "schema");
    if (st->ncolumns && ddl)
        return option_error(b, st, "schema", "%s",
                            "give the columns either in the column list or in the 'schema' "
                            "option, not both");
    if (ddl) {
        eddy_error e2;
        if (sql_parse_schema_ddl(ddl, s, &e2) != 0) {
            schema_free(s);
            return option_error(b, st, "schema", "%s", e2.message);
        }
        return 0;
    }
    for (int i = 0; i < st->ncolumns; i++) {
        if (schema_find(s, st->columns[i].name) >= 0) {
            int rc = bind_error(b, st->columns[i].line, st->columns[i].col,
                                (int)strlen(st->columns[i].name), NULL,
                                "column '%s' is declared twice", st->columns[i].name);
            schema_free(s);
            return rc;
        }
        schema_add(s, st->columns[i].name, st->columns[i].type);
    }
    return 0;
}

static int bind_source(binder *b, const ast_stmt *st)
{
    bound_pipeline *p = b->p;
    const char *format = options_get(&st->opts, "format");
    if (!format)
        return bind_error(b, st->name_line, st->name_col, (int)strlen(st->name), NULL,
                          "source '%s' needs a format option, e.g. WITH (format = 'json', "
                          "path = '...')",
                          st->name);
    const source_ops *ops = source_lookup(format);
    if (!ops)
        return format_lookup_error(b, st, format, source_formats(), "source");
    int rc = check_options(b, st, "source", ops->name, ops->options, NULL,
                           ops->option_prefixes);
    if (rc)
        return rc;
    if (ops->check_options) {
        const char *key = NULL;
        eddy_error e2;
        if (ops->check_options(&st->opts, &key, &e2) != 0)
            return option_error(b, st, key ? key : "format", "%s", e2.message);
    }
    catalog_source src;
    memset(&src, 0, sizeof src);
    src.name = st->name;
    src.ops = ops;
    src.line = st->line;
    src.col = st->col;
    src.wm_column = -1;
    schema opt_fixed, opt_hidden;
    schema_init(&opt_fixed);
    schema_init(&opt_hidden);
    if (ops->option_schema)
        ops->option_schema(&st->opts, &opt_fixed, &opt_hidden);
    if (ops->fixed_schema || opt_fixed.n > 0) {
        if (opt_fixed.n > 0)
            src.schema = opt_fixed;
        else
            ops->fixed_schema(&src.schema);
        schema_free(&opt_hidden);
        if (st->ncolumns) {
            /* A declared schema must match the fixed one (text: value STRING). */
            schema decl;
            if ((rc = bind_columns(b, st, &decl)) != 0) {
                schema_free(&src.schema);
                return rc;
            }
            bool same = decl.n == src.schema.n;
            for (int i = 0; same && i < decl.n; i++)
                same = str_ieq(decl.fields[i].name, src.schema.fields[i].name) &&
                       decl.fields[i].type == src.schema.fields[i].type;
            schema_free(&decl);
            if (!same) {
                char cols[512] = "";
                size_t n = 0;
                for (int i = 0; opt_fixed.n > 0 && i < src.schema.n && n < sizeof cols - 64; i++)
                    n += (size_t)snprintf(cols + n, sizeof cols - n, "%s%s %s", i ? ", " : " (",
                                          src.schema.fields[i].name,
                                          type_name(src.schema.fields[i].type));
                if (n)
                    snprintf(cols + n, sizeof cols - n, ") with these options");
                schema_free(&src.schema);
                return bind_error(b, st->name_line, st->name_col, (int)strlen(st->name), NULL,
                                  "the %s source has a fixed schema%s; declare no columns or "
                                  "exactly its columns",
                                  ops->name, cols);
            }
        }
    } else {
        if ((rc = bind_columns(b, st, &src.schema)) != 0) {
            schema_free(&opt_hidden);
            return rc;
        }
        if (src.schema.n == 0) {
            schema_free(&opt_hidden);
            return bind_error(b, st->name_line, st->name_col, (int)strlen(st->name), NULL,
                              "source '%s' needs a schema: a column list or the 'schema' "
                              "option",
                              st->name);
        }
        /* Metadata columns (kafka's _key, _topic, ...) go after the declared
         * ones, whose names they must not take. */
        for (int i = 0; i < opt_hidden.n; i++) {
            if (schema_find(&src.schema, opt_hidden.fields[i].name) >= 0) {
                rc = bind_error(b, st->name_line, st->name_col, (int)strlen(st->name), NULL,
                                "column '%s' of source '%s' has the name of a %s metadata "
                                "column; rename it",
                                opt_hidden.fields[i].name, st->name, ops->name);
                schema_free(&src.schema);
                schema_free(&opt_hidden);
                return rc;
            }
            schema_add(&src.schema, opt_hidden.fields[i].name, opt_hidden.fields[i].type);
        }
        schema_free(&opt_hidden);
    }
    if (st->wm_column) {
        int c = schema_find(&src.schema, st->wm_column);
        if (c < 0) {
            const char *cands[256];
            int n = 0;
            for (int i = 0; i < src.schema.n && n < 256; i++)
                cands[n++] = src.schema.fields[i].name;
            schema_free(&src.schema);
            return bind_error(b, st->wm_line, st->wm_col, (int)strlen(st->wm_column),
                              str_nearest(st->wm_column, cands, n),
                              "watermark column '%s' is not a column of source '%s'",
                              st->wm_column, st->name);
        }
        if (src.schema.fields[c].type != TYPE_TIMESTAMP) {
            type_id t = src.schema.fields[c].type;
            schema_free(&src.schema);
            return bind_error(b, st->wm_line, st->wm_col, (int)strlen(st->wm_column), NULL,
                              "watermark column '%s' must be a TIMESTAMP, not %s",
                              st->wm_column, type_name(t));
        }
        src.wm_column = c;
        src.wm_delay_us = st->wm_delay_us;
        src.schema.fields[c].event_time = true;
    }
    options_copy(&src.opts, &st->opts);
    p->sources = xrealloc(p->sources, (size_t)(p->nsources + 1) * sizeof *p->sources);
    p->sources[p->nsources++] = src;
    return 0;
}

static int bind_table(binder *b, const ast_stmt *st)
{
    bound_pipeline *p = b->p;
    const char *format = options_get(&st->opts, "format");
    const source_ops *ops = source_lookup(format ? format : "csv");
    if (!ops || ops->name[0] == 'r' || str_ieq(ops->name, "kafka")) /* rate, kafka: streams */
        return format ? format_lookup_error(b, st, format, (const char *const[]){"csv", "json",
                                                                                 "text", NULL},
                                            "table")
                      : 0;
    int rc = check_options(b, st, "table", ops->name, ops->options, NULL, NULL);
    if (rc)
        return rc;
    if (!options_get(&st->opts, "path"))
        return bind_error(b, st->name_line, st->name_col, (int)strlen(st->name), NULL,
                          "table '%s' needs a path option", st->name);
    catalog_table t;
    memset(&t, 0, sizeof t);
    t.name = st->name;
    t.line = st->line;
    t.col = st->col;
    if (ops->fixed_schema)
        ops->fixed_schema(&t.schema);
    else if ((rc = bind_columns(b, st, &t.schema)) != 0)
        return rc;
    options_copy(&t.opts, &st->opts);
    if (!options_get(&t.opts, "format"))
        options_set(&t.opts, "format", "csv", 0, 0);
    p->tables = xrealloc(p->tables, (size_t)(p->ntables + 1) * sizeof *p->tables);
    p->tables[p->ntables++] = t;
    return 0;
}

static void mark_needed(const expr *e, uint8_t *needed, int n)
{
    if (!e)
        return;
    if (e->kind == EXPR_COLUMN && e->column < n)
        needed[e->column] = 1;
    for (int i = 0; i < e->nargs; i++)
        mark_needed(e->args[i], needed, n);
    mark_needed(e->else_expr, needed, n);
}

/* Columns of the source that the operators right above the scan read. */
static uint8_t *compute_needed(const query_plan *q, int ncols)
{
    uint8_t *needed = xcalloc((size_t)(ncols ? ncols : 1), 1);
    plan_node *chain[256];
    int n = 0;
    for (plan_node *x = q->root; x && n < 256; x = x->child)
        chain[n++] = x;
    /* Walk upward from the scan while operators see the scan's columns. */
    for (int i = n - 2; i >= 0; i--) {
        plan_node *x = chain[i];
        if (x->kind == PLAN_FILTER) {
            mark_needed(x->predicate, needed, ncols);
            continue;
        }
        /* A window or a join keeps its input's columns at the same indices. */
        if (x->kind == PLAN_WINDOW) {
            mark_needed(x->time_col, needed, ncols);
            continue;
        }
        if (x->kind == PLAN_JOIN) {
            for (int k = 0; k < x->njoin_keys; k++)
                mark_needed(x->probe_keys[k], needed, ncols);
            mark_needed(x->residual, needed, ncols);
            continue;
        }
        if (x->kind == PLAN_PROJECT) {
            for (int k = 0; k < x->nexprs; k++)
                mark_needed(x->exprs[k], needed, ncols);
        } else if (x->kind == PLAN_AGGREGATE) {
            for (int k = 0; k < x->nkeys; k++)
                mark_needed(x->keys[k], needed, ncols);
            for (int k = 0; k < x->naggs; k++)
                mark_needed(x->agg_args[k], needed, ncols);
        }
        break;
    }
    return needed;
}

/* 1 + the index of the first column of type t, or 0. */
static int schema_has_type(const schema *s, type_id t)
{
    for (int i = 0; i < s->n; i++)
        if (s->fields[i].type == t)
            return i + 1;
    return 0;
}

static int bind_sink(binder *b, const ast_stmt *st)
{
    bound_pipeline *p = b->p;
    const char *format = options_get(&st->opts, "format");
    if (!format)
        return bind_error(b, st->name_line, st->name_col, (int)strlen(st->name), NULL,
                          "sink '%s' needs a format option, e.g. WITH (format = 'console')",
                          st->name);
    const sink_ops *ops = sink_lookup(format);
    if (!ops)
        return format_lookup_error(b, st, format, sink_formats(), "sink");
    /* The kafka sink passes 'kafka.*' options to its client, as the source. */
    static const char *const kafka_prefixes[] = {"kafka.", NULL};
    int rc = check_options(b, st, "sink", ops->name, ops->options, common_sink_options,
                           str_ieq(ops->name, "kafka") ? kafka_prefixes : NULL);
    if (rc)
        return rc;
    query_plan q;
    memset(&q, 0, sizeof q);
    q.name = st->name;
    q.sink = ops;
    q.line = st->line;
    q.col = st->col;
    const char *mode = options_get(&st->opts, "outputMode");
    if (mode && output_mode_parse(mode, &q.mode) != 0) {
        static const char *const modes[] = {"append", "update", "complete"};
        const option_kv *kv = options_find(&st->opts, "outputMode");
        return bind_error(b, kv->line ? kv->line : st->line, kv->line ? kv->col : st->col,
                          (int)strlen(kv->key), str_nearest(mode, modes, 3),
                          "unknown output mode '%s' (append, update or complete)", mode);
    }
    const char *chart = options_get(&st->opts, "chart");
    if (chart) {
        static const char *const charts[] = {"bar", "pie", "donut", "line", "table"};
        int k = 0;
        while (k < 5 && !str_ieq(chart, charts[k]))
            k++;
        if (k == 5) {
            const option_kv *kv = options_find(&st->opts, "chart");
            return bind_error(b, kv->line ? kv->line : st->line, kv->line ? kv->col : st->col,
                              (int)strlen(kv->key), str_nearest(chart, charts, 5),
                              "unknown chart '%s' (bar, pie, donut, line or table)", chart);
        }
    }
    const char *trig = options_get(&st->opts, "trigger");
    if (trigger_parse(trig, &q.trigger) != 0)
        return option_error(b, st, "trigger",
                            "invalid trigger '%s': use 'N seconds', 'once' or 'availableNow'",
                            trig);
    bound_select bs;
    if ((rc = bind_select(b, st->select, &bs)) != 0) {
        plan_free(bs.top);
        return rc;
    }
    q.root = bs.top;
    q.scan = bs.scan;
    q.agg = bs.agg;
    const ast_select *sel = st->select;
    bool aggregation = q.agg && !q.agg->dedup;
    int sline = sel->line, scol = sel->col;
    if (!(ops->modes & (1u << q.mode))) {
        const option_kv *kv = options_find(&st->opts, "outputMode");
        rc = bind_error(b, kv && kv->line ? kv->line : st->line,
                        kv && kv->line ? kv->col : st->col, kv ? (int)strlen(kv->key) : 6, NULL,
                        "the %s sink does not support %s output mode", ops->name,
                        output_mode_name(q.mode));
    } else if (q.mode == OUTPUT_APPEND && aggregation && q.agg->wm_key < 0) {
        rc = bind_error(b, sline, scol, 6, NULL,
                        "append output mode not supported when there are streaming "
                        "aggregations without watermark");
    } else if (q.mode == OUTPUT_COMPLETE && !aggregation) {
        rc = bind_error(b, sline, scol, 6, NULL,
                        "complete output mode not supported when there are no streaming "
                        "aggregations");
    } else if (str_ieq(ops->name, "csv") && schema_has_type(&q.root->out, TYPE_WINDOW)) {
        int c = schema_has_type(&q.root->out, TYPE_WINDOW) - 1;
        const ast_select_item *it = c < sel->nitems ? &sel->items[c] : &sel->items[0];
        rc = bind_error(b, it->e->line, it->e->col, expr_len(it->e), NULL,
                        "the csv sink cannot write the struct column '%s'; select %s.start "
                        "and %s.end instead",
                        q.root->out.fields[c].name, q.root->out.fields[c].name,
                        q.root->out.fields[c].name);
    } else if (q.mode != OUTPUT_COMPLETE && (bs.has_order || bs.has_limit)) {
        rc = bind_error(b, bs.has_order ? bs.order_line : bs.limit_line,
                        bs.has_order ? bs.order_col : bs.limit_col, 5, NULL,
                        "%s is only supported on an aggregation in complete output mode "
                        "(this sink uses %s mode)",
                        bs.has_order ? "ORDER BY" : "LIMIT", output_mode_name(q.mode));
    }
    if (rc) {
        plan_free(q.root);
        return rc;
    }
    q.needed = compute_needed(&q, p->sources[q.scan->source].schema.n);
    if (p->sources[q.scan->source].wm_column >= 0) /* event-time stats read it */
        q.needed[p->sources[q.scan->source].wm_column] = 1;
    options_copy(&q.sink_opts, &st->opts);
    p->queries = xrealloc(p->queries, (size_t)(p->nqueries + 1) * sizeof *p->queries);
    p->queries[p->nqueries++] = q;
    return 0;
}

int sql_bind(const ast_file *f, const char *text, const char *file_name, const options *presets,
             arena *a, bound_pipeline *out, eddy_error *err)
{
    memset(out, 0, sizeof *out);
    binder b = {text, file_name, a, err, out, 0};
    if (presets)
        options_copy(&out->settings, presets);
    int rc = 0;
    for (int i = 0; i < f->nstmts && rc == 0; i++) {
        const ast_stmt *st = &f->stmts[i];
        if (st->kind != STMT_SET && name_taken(out, st->name)) {
            rc = bind_error(&b, st->name_line, st->name_col, (int)strlen(st->name), NULL,
                            "'%s' is already defined", st->name);
            break;
        }
        switch (st->kind) {
        case STMT_SET:
            options_set(&out->settings, st->name, st->value ? st->value : "", st->line, st->col);
            break;
        case STMT_CREATE_SOURCE:
            rc = bind_source(&b, st);
            break;
        case STMT_CREATE_TABLE:
            rc = bind_table(&b, st);
            break;
        case STMT_CREATE_VIEW: {
            catalog_view v = {st->name, st->select, st->line, st->col};
            out->views = xrealloc(out->views, (size_t)(out->nviews + 1) * sizeof v);
            out->views[out->nviews++] = v;
            /* Bind once now so errors in a view are reported even if no sink
             * uses it. */
            bound_select bs;
            rc = bind_select(&b, st->select, &bs);
            plan_free(bs.top);
            break;
        }
        case STMT_CREATE_SINK:
            rc = bind_sink(&b, st);
            break;
        }
    }
    if (rc == 0 && out->nqueries == 0)
        rc = err_set(err, EDDY_SQL, "%s: error: the pipeline has no CREATE SINK, so there is "
                                    "no query to run",
                     file_name);
    if (rc)
        bound_pipeline_free(out);
    return rc;
}

void bound_pipeline_free(bound_pipeline *p)
{
    for (int i = 0; i < p->nsources; i++) {
        schema_free(&p->sources[i].schema);
        options_free(&p->sources[i].opts);
    }
    for (int i = 0; i < p->ntables; i++) {
        schema_free(&p->tables[i].schema);
        options_free(&p->tables[i].opts);
    }
    for (int i = 0; i < p->nqueries; i++) {
        plan_free(p->queries[i].root);
        options_free(&p->queries[i].sink_opts);
        free(p->queries[i].needed);
    }
    free(p->sources);
    free(p->tables);
    free(p->views);
    free(p->queries);
    options_free(&p->settings);
    memset(p, 0, sizeof *p);
}
