/* Expression nodes: allocation, aggregate detection, Spark's default column
 * names for unaliased select items (toPrettySQL), and EXPLAIN rendering. */
#include "plan/expr.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "core/strutil.h"
#include "core/timefmt.h"
#include "core/valuefmt.h"

expr *expr_new(arena *a, expr_kind kind, int line, int col)
{
    expr *e = arena_calloc(a, sizeof *e);
    e->kind = kind;
    e->line = line;
    e->col = col;
    return e;
}

/* Spark's aggregate function names (and aliases), for unbound trees. */
static const char *const agg_names_known[] = {
    "count", "sum", "avg", "mean", "min", "max", "first", "last", "first_value",
    "last_value", "stddev", "stddev_samp", "stddev_pop", "std", "variance",
    "var_samp", "var_pop", "approx_count_distinct", "collect_list", "collect_set",
    "count_if", "bool_and", "bool_or", "every", "any", "some", "max_by", "min_by",
    "median", "percentile", "percentile_approx", "skewness", "kurtosis",
    "corr", "covar_pop", "covar_samp", "any_value", "mode",
};

static bool is_agg_name(const char *name)
{
    for (size_t i = 0; i < sizeof agg_names_known / sizeof agg_names_known[0]; i++)
        if (str_ieq(name, agg_names_known[i]))
            return true;
    return false;
}

bool expr_has_agg(const expr *e)
{
    if (!e)
        return false;
    if (e->agg)
        return true;
    if (e->kind == EXPR_CALL && !e->fn && e->name && is_agg_name(e->name))
        return true;
    for (int i = 0; i < e->nargs; i++)
        if (expr_has_agg(e->args[i]))
            return true;
    return expr_has_agg(e->else_expr);
}

/* ---- rendering --------------------------------------------------------- */

typedef enum render_mode { MODE_NAME, MODE_EXPLAIN } render_mode;

static void render(textbuf *b, const expr *e, render_mode mode);

/* Spark's DataType.sql for CAST. */
static const char *type_sql(type_id t)
{
    switch (t) {
    case TYPE_BOOLEAN: return "BOOLEAN";
    case TYPE_INT: return "INT";
    case TYPE_BIGINT: return "BIGINT";
    case TYPE_DOUBLE: return "DOUBLE";
    case TYPE_STRING: return "STRING";
    case TYPE_TIMESTAMP: return "TIMESTAMP";
    case TYPE_DATE: return "DATE";
    case TYPE_WINDOW: return "STRUCT<start: TIMESTAMP, end: TIMESTAMP>";
    default: return "VOID";
    }
}

/* A double literal as Spark names it: a plain decimal as written (Spark keeps
 * it as a DECIMAL, whose toString is the digits as written, with a leading
 * zero added before a bare point), an exponent or D-suffixed one as Java's
 * Double.toString. */
static void double_literal_name(textbuf *b, const expr *e)
{
    const char *t = e->text;
    if (t) {
        bool neg = false;
        while (*t == '-' || *t == ' ' || *t == '\t' || *t == '\n' || *t == '\r') {
            if (*t == '-')
                neg = !neg;
            t++;
        }
        if (*t && !strpbrk(t, "eEdD")) {
            if (neg)
                textbuf_putc(b, '-');
            if (*t == '.')
                textbuf_putc(b, '0');
            size_t n = strlen(t);
            if (n > 1 && t[n - 1] == '.')
                n--;
            textbuf_put(b, t, n);
            return;
        }
    }
    char buf[40];
    textbuf_put(b, buf, (size_t)double_to_text(e->lit.v.f64, buf));
}

static void literal(textbuf *b, const expr *e, render_mode mode)
{
    const value *v = &e->lit;
    char buf[64];
    if (v->is_null || v->type == TYPE_NULL) {
        textbuf_puts(b, "NULL");
        return;
    }
    switch (v->type) {
    case TYPE_BOOLEAN:
        textbuf_puts(b, v->v.b ? "true" : "false");
        break;
    case TYPE_INT:
        snprintf(buf, sizeof buf, "%d", (int)v->v.i32);
        textbuf_puts(b, buf);
        break;
    case TYPE_BIGINT:
        snprintf(buf, sizeof buf, "%lld", (long long)v->v.i64);
        textbuf_puts(b, buf);
        if (mode == MODE_EXPLAIN)
            textbuf_putc(b, 'L');
        break;
    case TYPE_DOUBLE:
        double_literal_name(b, e);
        break;
    case TYPE_STRING:
        if (mode == MODE_NAME) {
            textbuf_put(b, v->v.s.ptr, v->v.s.len);
        } else {
            textbuf_putc(b, '\'');
            for (uint32_t i = 0; i < v->v.s.len; i++) {
                if (v->v.s.ptr[i] == '\'')
                    textbuf_putc(b, '\'');
                textbuf_putc(b, v->v.s.ptr[i]);
            }
            textbuf_putc(b, '\'');
        }
        break;
    case TYPE_TIMESTAMP:
        ts_format(v->v.i64, buf);
        textbuf_puts(b, "TIMESTAMP '");
        textbuf_puts(b, buf);
        textbuf_putc(b, '\'');
        break;
    case TYPE_DATE:
        date_format(v->v.i32, buf);
        textbuf_puts(b, "DATE '");
        textbuf_puts(b, buf);
        textbuf_putc(b, '\'');
        break;
    default:
        textbuf_value(b, v);
        break;
    }
}

static const char *op_text(expr_op op)
{
    switch (op) {
    case OP_ADD: return "+";
    case OP_SUB: return "-";
    case OP_MUL: return "*";
    case OP_DIV: return "/";
    case OP_MOD: return "%";
    case OP_EQ: return "=";
    case OP_NE: return "!=";
    case OP_LT: return "<";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    case OP_GE: return ">=";
    case OP_EQ_NULLSAFE: return "<=>";
    case OP_AND: return "AND";
    case OP_OR: return "OR";
    case OP_CONCAT: return "||";
    case OP_NEG: return "-";
    case OP_NOT: return "NOT";
    default: return "?";
    }
}

/* A cast the binder inserted (no text of its own, or its child's text) is
 * invisible in Spark's names; one the user wrote is not. */
static bool cast_is_implicit(const expr *e)
{
    return !e->text || (e->nargs == 1 && e->args[0] && e->text == e->args[0]->text);
}

static void lower_name(textbuf *b, const char *name)
{
    for (const char *c = name; *c; c++)
        textbuf_putc(b, (char)tolower((unsigned char)*c));
}

static void render_args(textbuf *b, const expr *e, int from, render_mode mode)
{
    for (int i = from; i < e->nargs; i++) {
        if (i > from)
            textbuf_puts(b, ", ");
        render(b, e->args[i], mode);
    }
}

/* Function calls: Spark prints prettyName(args) with its own defaults made
 * visible, e.g. round(x, 0) and substring(s, 2, 2147483647); math functions
 * built on UnaryMathExpression print their name in upper case. */
static void render_call(textbuf *b, const expr *e, render_mode mode)
{
    static const char *const upper_math[] = {"sqrt", "ceil", "floor", "exp", "cbrt", "signum",
                                             "sin", "cos", "tan", "asin", "acos", "atan"};
    const char *name = e->name ? e->name : "?";
    if (mode == MODE_NAME && (str_ieq(name, "window") || str_ieq(name, "session_window"))) {
        lower_name(b, name);
        return;
    }
    bool upper = false;
    if (mode == MODE_NAME)
        for (size_t i = 0; i < sizeof upper_math / sizeof upper_math[0]; i++)
            if (str_ieq(name, upper_math[i]))
                upper = true;
    if (upper) {
        for (const char *c = name; *c; c++)
            textbuf_putc(b, (char)toupper((unsigned char)*c));
    } else {
        lower_name(b, name);
    }
    textbuf_putc(b, '(');
    if (e->distinct)
        textbuf_puts(b, "DISTINCT ");
    if (e->star_arg) {
        textbuf_puts(b, mode == MODE_NAME ? (str_ieq(name, "count") ? "1" : "*") : "*");
    } else {
        render_args(b, e, 0, mode);
        if (mode == MODE_NAME) {
            if ((str_ieq(name, "round") || str_ieq(name, "bround")) && e->nargs == 1)
                textbuf_puts(b, ", 0");
            if ((str_ieq(name, "substring") || str_ieq(name, "substr")) && e->nargs == 2)
                textbuf_puts(b, ", 2147483647");
        }
    }
    textbuf_putc(b, ')');
}

static void render(textbuf *b, const expr *e, render_mode mode)
{
    char buf[48];
    if (!e) {
        textbuf_puts(b, "NULL");
        return;
    }
    switch (e->kind) {
    case EXPR_LITERAL:
        literal(b, e, mode);
        break;
    case EXPR_IDENT:
        if (mode == MODE_EXPLAIN && e->qualifier) {
            textbuf_puts(b, e->qualifier);
            textbuf_putc(b, '.');
        }
        textbuf_puts(b, e->name ? e->name : "?");
        break;
    case EXPR_STAR:
        if (e->qualifier) {
            textbuf_puts(b, e->qualifier);
            textbuf_putc(b, '.');
        }
        textbuf_putc(b, '*');
        break;
    case EXPR_COLUMN:
    case EXPR_AGG_REF:
        if (e->name)
            textbuf_puts(b, e->name);
        else if (mode == MODE_NAME && e->text)
            textbuf_puts(b, e->text);
        if (mode == MODE_EXPLAIN || (!e->name && !e->text)) {
            snprintf(buf, sizeof buf, "%s%d", e->kind == EXPR_AGG_REF ? "#agg" : "#", e->column);
            textbuf_puts(b, buf);
        }
        break;
    case EXPR_UNARY:
        if (e->op == OP_NEG)
            textbuf_puts(b, "(- ");
        else
            textbuf_puts(b, "(NOT ");
        render(b, e->nargs ? e->args[0] : NULL, mode);
        textbuf_putc(b, ')');
        break;
    case EXPR_BINARY: {
        const expr *l = e->nargs > 0 ? e->args[0] : NULL, *r = e->nargs > 1 ? e->args[1] : NULL;
        if (mode == MODE_NAME && e->op == OP_CONCAT) {
            textbuf_puts(b, "concat(");
            render(b, l, mode);
            textbuf_puts(b, ", ");
            render(b, r, mode);
            textbuf_putc(b, ')');
            break;
        }
        bool ne = mode == MODE_NAME && e->op == OP_NE;
        textbuf_puts(b, ne ? "(NOT (" : "(");
        render(b, l, mode);
        textbuf_putc(b, ' ');
        textbuf_puts(b, ne ? "=" : op_text(e->op));
        textbuf_putc(b, ' ');
        render(b, r, mode);
        textbuf_puts(b, ne ? "))" : ")");
        break;
    }
    case EXPR_IS_NULL:
        textbuf_putc(b, '(');
        render(b, e->nargs ? e->args[0] : NULL, mode);
        textbuf_puts(b, e->negated ? " IS NOT NULL)" : " IS NULL)");
        break;
    case EXPR_IN:
        if (mode == MODE_NAME && e->negated)
            textbuf_puts(b, "(NOT ");
        textbuf_putc(b, '(');
        render(b, e->nargs ? e->args[0] : NULL, mode);
        textbuf_puts(b, mode == MODE_EXPLAIN && e->negated ? " NOT IN (" : " IN (");
        render_args(b, e, 1, mode);
        textbuf_puts(b, "))");
        if (mode == MODE_NAME && e->negated)
            textbuf_putc(b, ')');
        break;
    case EXPR_BETWEEN: {
        const expr *x = e->nargs > 0 ? e->args[0] : NULL;
        const expr *lo = e->nargs > 1 ? e->args[1] : NULL, *hi = e->nargs > 2 ? e->args[2] : NULL;
        if (mode == MODE_EXPLAIN) {
            textbuf_putc(b, '(');
            render(b, x, mode);
            textbuf_puts(b, e->negated ? " NOT BETWEEN " : " BETWEEN ");
            render(b, lo, mode);
            textbuf_puts(b, " AND ");
            render(b, hi, mode);
            textbuf_putc(b, ')');
            break;
        }
        /* Spark 3.5's parser rewrites BETWEEN into two comparisons. */
        if (e->negated)
            textbuf_puts(b, "(NOT ");
        textbuf_puts(b, "((");
        render(b, x, mode);
        textbuf_puts(b, " >= ");
        render(b, lo, mode);
        textbuf_puts(b, ") AND (");
        render(b, x, mode);
        textbuf_puts(b, " <= ");
        render(b, hi, mode);
        textbuf_puts(b, "))");
        if (e->negated)
            textbuf_putc(b, ')');
        break;
    }
    case EXPR_LIKE:
        if (mode == MODE_NAME) {
            if (e->negated)
                textbuf_puts(b, "(NOT ");
            render(b, e->nargs > 0 ? e->args[0] : NULL, mode);
            textbuf_puts(b, " LIKE ");
            render(b, e->nargs > 1 ? e->args[1] : NULL, mode);
            if (e->negated)
                textbuf_putc(b, ')');
        } else {
            textbuf_putc(b, '(');
            render(b, e->nargs > 0 ? e->args[0] : NULL, mode);
            textbuf_puts(b, e->negated ? " NOT LIKE " : " LIKE ");
            render(b, e->nargs > 1 ? e->args[1] : NULL, mode);
            textbuf_putc(b, ')');
        }
        break;
    case EXPR_CASE:
        textbuf_puts(b, "CASE");
        for (int i = 0; i + 1 < e->nargs; i += 2) {
            textbuf_puts(b, " WHEN ");
            render(b, e->args[i], mode);
            textbuf_puts(b, " THEN ");
            render(b, e->args[i + 1], mode);
        }
        if (e->else_expr) {
            textbuf_puts(b, " ELSE ");
            render(b, e->else_expr, mode);
        }
        textbuf_puts(b, " END");
        break;
    case EXPR_CAST:
        if (mode == MODE_NAME && cast_is_implicit(e)) {
            render(b, e->nargs ? e->args[0] : NULL, mode);
            break;
        }
        textbuf_puts(b, "CAST(");
        render(b, e->nargs ? e->args[0] : NULL, mode);
        textbuf_puts(b, " AS ");
        textbuf_puts(b, type_sql(e->cast_to));
        textbuf_putc(b, ')');
        break;
    case EXPR_CALL:
        render_call(b, e, mode);
        break;
    case EXPR_FIELD:
        render(b, e->nargs ? e->args[0] : NULL, mode);
        textbuf_putc(b, '.');
        textbuf_puts(b, e->name ? e->name : "?");
        break;
    }
}

/* Spark's ResolveAliases: a column reference keeps its name, a struct field
 * access is named by the field, a CAST of a column by the column; anything
 * else by toPrettySQL. */
static void default_name(textbuf *b, const expr *e)
{
    while (e->kind == EXPR_CAST && cast_is_implicit(e) && e->nargs)
        e = e->args[0];
    switch (e->kind) {
    case EXPR_IDENT:
    case EXPR_FIELD:
        textbuf_puts(b, e->name ? e->name : "?");
        return;
    case EXPR_COLUMN:
    case EXPR_AGG_REF:
        render(b, e, MODE_NAME);
        return;
    case EXPR_CAST:
        if (e->nargs && (e->args[0]->kind == EXPR_IDENT || e->args[0]->kind == EXPR_COLUMN)) {
            default_name(b, e->args[0]);
            return;
        }
        break;
    default:
        break;
    }
    render(b, e, MODE_NAME);
}

const char *expr_default_name(arena *a, const expr *e)
{
    textbuf b;
    textbuf_init(&b);
    if (e)
        default_name(&b, e);
    const char *r = arena_strndup(a, b.data ? b.data : "", b.len);
    textbuf_free(&b);
    return r;
}

int expr_to_string(const expr *e, char *buf, int cap)
{
    textbuf b;
    textbuf_init(&b);
    render(&b, e, MODE_EXPLAIN);
    int n = (int)b.len;
    if (cap > 0) {
        int k = n < cap - 1 ? n : cap - 1;
        if (k > 0)
            memcpy(buf, b.data, (size_t)k);
        buf[k] = '\0';
    }
    textbuf_free(&b);
    return n;
}
