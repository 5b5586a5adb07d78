/* Recursive-descent parser for pipeline files (SPEC §2): statements, queries
 * and expressions into the AST of sql/ast.h, with positioned errors; also
 * Spark's DDL schema strings. */
#include "sql/parser.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/strutil.h"
#include "core/timefmt.h"
#include "sql/lexer.h"

/* Deepest expression nesting accepted; deeper input is an error rather than
 * a stack overflow. */
#define MAX_DEPTH 200

typedef struct parser {
    const char *src;
    const char *file;
    arena *a;
    lex_result lx;
    int pos;
    int depth;
    int case_depth; /* CASE expressions being parsed: END closes them */
    bool failed;
    eddy_error *err;
    ast_stmt *stmts;
    int nstmts, cap;
} parser;

static expr *parse_expr(parser *p);

/* Words that cannot be bare column names or implicit aliases. Type names,
 * `window`, `key`, `value`, `count`, `start`, `end` and friends stay free. */
static const char *const reserved_words[] = {
    "SELECT", "FROM", "WHERE", "GROUP", "BY", "HAVING", "ORDER", "LIMIT", "AS",
    "AND", "OR", "NOT", "IN", "IS", "BETWEEN", "LIKE", "CASE", "WHEN", "THEN",
    "ELSE", "JOIN", "ON", "INNER", "LEFT", "RIGHT", "FULL", "OUTER", "CROSS",
    "DISTINCT", "UNION", "NULL", "TRUE", "FALSE", "CAST", "WITH", NULL,
};

static const char *const type_names[] = {
    "STRING", "VARCHAR", "BOOLEAN", "INT", "INTEGER", "BIGINT", "LONG",
    "DOUBLE", "FLOAT", "REAL", "TIMESTAMP", "DATE",
};
#define NTYPE_NAMES ((int)(sizeof type_names / sizeof type_names[0]))

/* ---- tokens ------------------------------------------------------------ */

static const token *cur(parser *p)
{
    return &p->lx.toks[p->pos];
}

static const token *peek(parser *p, int k)
{
    int i = p->pos + k;
    return &p->lx.toks[i < p->lx.ntoks ? i : p->lx.ntoks - 1];
}

static const token *prev(parser *p)
{
    return &p->lx.toks[p->pos > 0 ? p->pos - 1 : 0];
}

static void advance(parser *p)
{
    if (cur(p)->kind != TK_EOF && cur(p)->kind != TK_ERROR)
        p->pos++;
}

static bool at(parser *p, tok_kind k)
{
    return cur(p)->kind == k;
}

static bool at_kw(parser *p, const char *kw)
{
    return tok_is(p->src, cur(p), kw);
}

static bool accept(parser *p, tok_kind k)
{
    if (!at(p, k))
        return false;
    advance(p);
    return true;
}

static bool accept_kw(parser *p, const char *kw)
{
    if (!at_kw(p, kw))
        return false;
    advance(p);
    return true;
}

static bool is_reserved(parser *p, const token *t)
{
    if (t->kind != TK_WORD)
        return false;
    for (int i = 0; reserved_words[i]; i++)
        if (tok_is(p->src, t, reserved_words[i]))
            return true;
    return false;
}

static bool is_name_tok(const token *t)
{
    return t->kind == TK_WORD || t->kind == TK_QIDENT;
}

/* The name a WORD or QIDENT token stands for, in the arena. */
static const char *tok_name(parser *p, const token *t)
{
    if (t->kind == TK_QIDENT)
        return t->val;
    return arena_strndup(p->a, p->src + t->off, (size_t)t->len);
}

/* Source text from token `from` to token `to` inclusive, in the arena. */
static const char *span_text(parser *p, int from, int to)
{
    const token *a = &p->lx.toks[from], *b = &p->lx.toks[to];
    return arena_strndup(p->a, p->src + a->off, (size_t)(b->off + b->len - a->off));
}

/* How a token is named in "found ..." parts of messages. */
static const char *describe(parser *p, const token *t, char *buf, size_t cap)
{
    if (t->kind == TK_EOF)
        return "end of input";
    int n = t->len;
    const char *s = p->src + t->off;
    const char *nl = memchr(s, '\n', (size_t)n);
    if (nl)
        n = (int)(nl - s);
    bool cut = n > 40;
    if (cut)
        n = 40;
    if (t->kind == TK_STRING)
        snprintf(buf, cap, "string %.*s%s", n, s, cut || nl ? "...'" : "");
    else
        snprintf(buf, cap, "'%.*s%s'", n, s, cut ? "..." : "");
    return buf;
}

/* ---- errors ------------------------------------------------------------ */

static int vfail(parser *p, const token *t, int len, const char *hint, const char *fmt, va_list ap)
{
    if (p->failed)
        return -EDDY_SQL;
    p->failed = true;
    if (t->kind == TK_ERROR)
        return sql_error_at(p->err, p->src, p->file, t->line, t->col, t->len, NULL, "%s",
                            p->lx.msg);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    return sql_error_at(p->err, p->src, p->file, t->line, t->col, len, hint, "%s", msg);
}

/* Reports an error at token t (caret over the whole token) and marks the
 * parse failed; only the first error is kept. Returns -EDDY_SQL. */
static int fail(parser *p, const token *t, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int fail(parser *p, const token *t, const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = vfail(p, t, t->len, hint, fmt, ap);
    va_end(ap);
    return rc;
}

/* "expected <what>, found <current token>". */
static int fail_expected(parser *p, const char *what)
{
    char buf[80];
    return fail(p, cur(p), NULL, "expected %s, found %s", what,
                describe(p, cur(p), buf, sizeof buf));
}

/* ---- nodes ------------------------------------------------------------- */

static expr *node(parser *p, expr_kind kind, int start)
{
    const token *t = &p->lx.toks[start];
    return expr_new(p->a, kind, t->line, t->col);
}

/* Sets text and end_col from the tokens [start, last]. */
static expr *finish_to(parser *p, expr *e, int start, int last)
{
    if (last < start)
        last = start;
    const token *a = &p->lx.toks[start], *b = &p->lx.toks[last];
    e->text = span_text(p, start, last);
    e->end_col = 0;
    if (b->line == a->line && !memchr(p->src + b->off, '\n', (size_t)b->len))
        e->end_col = b->col + b->len;
    return e;
}

/* Sets text and end_col from the tokens [start, pos). */
static expr *finish(parser *p, expr *e, int start)
{
    return finish_to(p, e, start, p->pos - 1);
}

static expr **args_alloc(parser *p, int n)
{
    return arena_alloc(p->a, (size_t)(n ? n : 1) * sizeof(expr *));
}

static expr *binary(parser *p, expr_op op, expr *l, expr *r, int start)
{
    expr *e = node(p, EXPR_BINARY, start);
    e->op = op;
    e->args = args_alloc(p, 2);
    e->args[0] = l;
    e->args[1] = r;
    e->nargs = 2;
    return finish(p, e, start);
}

/* A growable array of expression pointers in the arena. */
typedef struct expr_vec {
    expr **v;
    int n, cap;
} expr_vec;

static void vec_push(parser *p, expr_vec *vec, expr *e)
{
    if (vec->n == vec->cap) {
        int cap = vec->cap ? vec->cap * 2 : 4;
        expr **nv = arena_alloc(p->a, (size_t)cap * sizeof(expr *));
        if (vec->n)
            memcpy(nv, vec->v, (size_t)vec->n * sizeof(expr *));
        vec->v = nv;
        vec->cap = cap;
    }
    vec->v[vec->n++] = e;
}

static expr *clone_expr(parser *p, const expr *e)
{
    if (!e)
        return NULL;
    expr *c = arena_alloc(p->a, sizeof *c);
    *c = *e;
    if (e->nargs) {
        c->args = args_alloc(p, e->nargs);
        for (int i = 0; i < e->nargs; i++)
            c->args[i] = clone_expr(p, e->args[i]);
    }
    c->else_expr = clone_expr(p, e->else_expr);
    return c;
}

/* ---- literals ---------------------------------------------------------- */

/* Number token at `start` (optionally after a '-' token folded into it) as a
 * literal: INT when it fits, else BIGINT; a fraction, exponent or D suffix
 * makes a DOUBLE, an L suffix a BIGINT, as in Spark. */
static expr *number_literal(parser *p, int start, bool negative)
{
    const token *t = cur(p);
    int n = t->len;
    char *buf = arena_alloc(p->a, (size_t)n + 2);
    buf[0] = '-';
    memcpy(buf + 1, p->src + t->off, (size_t)n);
    buf[n + 1] = '\0';
    char *num = negative ? buf : buf + 1;
    char last = buf[n];
    bool is_double = strpbrk(buf + 1, ".eE") != NULL || last == 'd' || last == 'D';
    bool is_long = last == 'l' || last == 'L';
    if (is_long || last == 'd' || last == 'D')
        buf[n] = '\0';
    expr *e = node(p, EXPR_LITERAL, start);
    errno = 0;
    if (!is_double) {
        long long v = strtoll(num, NULL, 10);
        if (errno == ERANGE) {
            if (is_long) {
                fail(p, t, NULL, "integer literal %s out of range for BIGINT", num);
                return NULL;
            }
            is_double = true;
        } else if (!is_long && v >= INT32_MIN && v <= INT32_MAX) {
            e->lit.type = TYPE_INT;
            e->lit.v.i32 = (int32_t)v;
        } else {
            e->lit.type = TYPE_BIGINT;
            e->lit.v.i64 = v;
        }
    }
    if (is_double) {
        e->lit.type = TYPE_DOUBLE;
        e->lit.v.f64 = strtod(num, NULL);
    }
    advance(p);
    e->type = e->lit.type;
    return finish(p, e, start);
}

/* One or more adjacent 'string' tokens, concatenated as Spark does. */
static expr *string_literal(parser *p)
{
    int start = p->pos;
    size_t total = 0;
    for (int i = p->pos; p->lx.toks[i].kind == TK_STRING; i++)
        total += (size_t)p->lx.toks[i].vlen;
    char *s = arena_alloc(p->a, total + 1);
    size_t n = 0;
    while (at(p, TK_STRING)) {
        memcpy(s + n, cur(p)->val, (size_t)cur(p)->vlen);
        n += (size_t)cur(p)->vlen;
        advance(p);
    }
    s[n] = '\0';
    expr *e = node(p, EXPR_LITERAL, start);
    e->lit.type = TYPE_STRING;
    e->lit.v.s.ptr = s;
    e->lit.v.s.len = (uint32_t)n;
    e->type = TYPE_STRING;
    return finish(p, e, start);
}

/* TIMESTAMP '...' or DATE '...'. */
static expr *typed_literal(parser *p, bool is_ts)
{
    int start = p->pos;
    advance(p);
    const token *s = cur(p);
    expr *e = node(p, EXPR_LITERAL, start);
    if (is_ts) {
        int64_t us;
        if (ts_parse(s->val, (size_t)s->vlen, &us) != 0) {
            fail(p, s, NULL, "invalid TIMESTAMP literal %s",
                 arena_strndup(p->a, p->src + s->off, (size_t)s->len));
            return NULL;
        }
        e->lit.type = TYPE_TIMESTAMP;
        e->lit.v.i64 = us;
    } else {
        int32_t days;
        if (date_parse(s->val, (size_t)s->vlen, &days) != 0) {
            fail(p, s, NULL, "invalid DATE literal %s",
                 arena_strndup(p->a, p->src + s->off, (size_t)s->len));
            return NULL;
        }
        e->lit.type = TYPE_DATE;
        e->lit.v.i32 = days;
    }
    advance(p);
    e->type = e->lit.type;
    return finish(p, e, start);
}

/* ---- expressions ------------------------------------------------------- */

/* Parses a type name at the current token (for CAST and column lists). */
static int parse_type(parser *p, type_id *out, const char *after)
{
    const token *t = cur(p);
    if (t->kind != TK_WORD) {
        char what[96];
        snprintf(what, sizeof what, "a type name after %s", after);
        return fail_expected(p, what);
    }
    if (type_parse(p->src + t->off, (size_t)t->len, out) != 0) {
        const char *name = tok_name(p, t);
        return fail(p, t, str_nearest(name, type_names, NTYPE_NAMES),
                    "unknown type '%s'", name);
    }
    advance(p);
    return 0;
}

/* [qualifier.]name[.field...] starting at a WORD or QIDENT. */
static expr *parse_ident_chain(parser *p)
{
    int start = p->pos;
    expr *e = node(p, EXPR_IDENT, start);
    e->name = tok_name(p, cur(p));
    advance(p);
    if (at(p, TK_DOT) && is_name_tok(peek(p, 1))) {
        e->qualifier = e->name;
        e->name = tok_name(p, peek(p, 1));
        advance(p);
        advance(p);
    }
    finish(p, e, start);
    while (at(p, TK_DOT) && is_name_tok(peek(p, 1))) {
        expr *f = node(p, EXPR_FIELD, start);
        f->name = tok_name(p, peek(p, 1));
        advance(p);
        advance(p);
        f->args = args_alloc(p, 1);
        f->args[0] = e;
        f->nargs = 1;
        e = finish(p, f, start);
    }
    return e;
}

/* name( [*] | [DISTINCT] expr, ... ) */
static expr *parse_call(parser *p)
{
    int start = p->pos;
    expr *e = node(p, EXPR_CALL, start);
    e->name = tok_name(p, cur(p));
    advance(p);
    advance(p);
    expr_vec args = {0};
    if (at(p, TK_STAR) && peek(p, 1)->kind == TK_RPAREN) {
        e->star_arg = true;
        advance(p);
    } else if (!at(p, TK_RPAREN)) {
        if (accept_kw(p, "DISTINCT"))
            e->distinct = true;
        else
            accept_kw(p, "ALL");
        for (;;) {
            expr *a = parse_expr(p);
            if (!a)
                return NULL;
            vec_push(p, &args, a);
            if (!accept(p, TK_COMMA))
                break;
        }
    }
    if (!at(p, TK_RPAREN)) {
        char what[160];
        snprintf(what, sizeof what, "',' or ')' in the arguments of %s()", e->name);
        fail_expected(p, what);
        return NULL;
    }
    advance(p);
    e->args = args.v;
    e->nargs = args.n;
    if (at_kw(p, "OVER") && peek(p, 1)->kind == TK_LPAREN) {
        fail(p, cur(p), NULL, "window functions (OVER) are not supported");
        return NULL;
    }
    if (at_kw(p, "FILTER") && peek(p, 1)->kind == TK_LPAREN) {
        fail(p, cur(p), NULL, "aggregate FILTER clauses are not supported");
        return NULL;
    }
    return finish(p, e, start);
}

static expr *parse_case_body(parser *p, int start);

/* CASE [operand] WHEN ... THEN ... [ELSE ...] END; the simple form becomes
 * operand = value conditions (each with its own copy of the operand). */
static expr *parse_case(parser *p)
{
    int start = p->pos;
    advance(p);
    p->case_depth++;
    expr *e = parse_case_body(p, start);
    p->case_depth--;
    return e;
}

static expr *parse_case_body(parser *p, int start)
{
    expr *operand = NULL;
    if (!at_kw(p, "WHEN")) {
        operand = parse_expr(p);
        if (!operand)
            return NULL;
    }
    expr_vec parts = {0};
    while (at_kw(p, "WHEN")) {
        advance(p);
        expr *c = parse_expr(p);
        if (!c)
            return NULL;
        if (operand) {
            expr *op = clone_expr(p, operand);
            expr *eq = expr_new(p->a, EXPR_BINARY, op->line, op->col);
            eq->op = OP_EQ;
            eq->args = args_alloc(p, 2);
            eq->args[0] = op;
            eq->args[1] = c;
            eq->nargs = 2;
            size_t n1 = strlen(op->text), n2 = strlen(c->text);
            char *t = arena_alloc(p->a, n1 + n2 + 4);
            memcpy(t, op->text, n1);
            memcpy(t + n1, " = ", 3);
            memcpy(t + n1 + 3, c->text, n2 + 1);
            eq->text = t;
            eq->end_col = c->line == op->line ? c->end_col : 0;
            c = eq;
        }
        if (!accept_kw(p, "THEN")) {
            fail_expected(p, "THEN after the WHEN condition");
            return NULL;
        }
        expr *v = parse_expr(p);
        if (!v)
            return NULL;
        vec_push(p, &parts, c);
        vec_push(p, &parts, v);
    }
    if (!parts.n) {
        fail_expected(p, "WHEN in CASE expression");
        return NULL;
    }
    expr *e = node(p, EXPR_CASE, start);
    if (accept_kw(p, "ELSE")) {
        e->else_expr = parse_expr(p);
        if (!e->else_expr)
            return NULL;
    }
    if (!accept_kw(p, "END")) {
        fail_expected(p, "END to close CASE");
        return NULL;
    }
    e->args = parts.v;
    e->nargs = parts.n;
    return finish(p, e, start);
}

/* CAST(expr AS type) */
static expr *parse_cast(parser *p)
{
    int start = p->pos;
    advance(p);
    advance(p);
    expr *x = parse_expr(p);
    if (!x)
        return NULL;
    if (!accept_kw(p, "AS")) {
        fail_expected(p, "AS in CAST");
        return NULL;
    }
    expr *e = node(p, EXPR_CAST, start);
    if (parse_type(p, &e->cast_to, "AS in CAST") != 0)
        return NULL;
    if (!accept(p, TK_RPAREN)) {
        fail_expected(p, "')' to close CAST");
        return NULL;
    }
    e->args = args_alloc(p, 1);
    e->args[0] = x;
    e->nargs = 1;
    return finish(p, e, start);
}

static int fail_no_expr(parser *p)
{
    char buf[80], pb[80];
    const token *t = cur(p);
    if (p->pos == 0)
        return fail(p, t, NULL, "expected expression, found %s", describe(p, t, buf, sizeof buf));
    return fail(p, t, NULL, "expected expression after %s, found %s",
                describe(p, prev(p), pb, sizeof pb), describe(p, t, buf, sizeof buf));
}

static expr *parse_primary(parser *p)
{
    const token *t = cur(p);
    int start = p->pos;
    switch (t->kind) {
    case TK_NUMBER:
        return number_literal(p, start, false);
    case TK_STRING:
        return string_literal(p);
    case TK_QIDENT:
        return parse_ident_chain(p);
    case TK_LPAREN: {
        advance(p);
        if (at_kw(p, "SELECT")) {
            fail(p, cur(p), NULL, "subqueries are not supported");
            return NULL;
        }
        expr *e = parse_expr(p);
        if (!e)
            return NULL;
        if (!accept(p, TK_RPAREN)) {
            fail_expected(p, "')'");
            return NULL;
        }
        return e;
    }
    case TK_WORD:
        break;
    default:
        fail_no_expr(p);
        return NULL;
    }
    tok_kind next = peek(p, 1)->kind;
    if (at_kw(p, "NULL") || at_kw(p, "TRUE") || at_kw(p, "FALSE")) {
        expr *e = node(p, EXPR_LITERAL, start);
        if (at_kw(p, "NULL")) {
            e->lit.type = TYPE_NULL;
            e->lit.is_null = true;
        } else {
            e->lit.type = TYPE_BOOLEAN;
            e->lit.v.b = at_kw(p, "TRUE");
        }
        e->type = e->lit.type;
        advance(p);
        return finish(p, e, start);
    }
    if (at_kw(p, "CASE"))
        return parse_case(p);
    if (at_kw(p, "CAST") && next == TK_LPAREN)
        return parse_cast(p);
    if ((at_kw(p, "TIMESTAMP") || at_kw(p, "DATE")) && next == TK_STRING)
        return typed_literal(p, at_kw(p, "TIMESTAMP"));
    if (at_kw(p, "INTERVAL") && (next == TK_NUMBER || next == TK_STRING)) {
        fail(p, t, NULL, "INTERVAL literals are only supported in WATERMARK clauses; "
                         "durations in functions are strings such as '10 seconds'");
        return NULL;
    }
    if (next == TK_LPAREN)
        return parse_call(p);
    if (is_reserved(p, t) || (p->case_depth && at_kw(p, "END"))) {
        fail_no_expr(p);
        return NULL;
    }
    return parse_ident_chain(p);
}

/* primary followed by .field accessors (e.g. a call's struct result). */
static expr *parse_postfix(parser *p)
{
    int start = p->pos;
    expr *e = parse_primary(p);
    while (e && at(p, TK_DOT) && is_name_tok(peek(p, 1))) {
        advance(p);
        expr *f = node(p, EXPR_FIELD, start);
        f->name = tok_name(p, cur(p));
        advance(p);
        f->args = args_alloc(p, 1);
        f->args[0] = e;
        f->nargs = 1;
        e = finish(p, f, start);
    }
    return e;
}

static expr *parse_unary(parser *p)
{
    if (++p->depth > MAX_DEPTH) {
        fail(p, cur(p), NULL, "expression nested too deeply");
        return NULL;
    }
    int start = p->pos;
    expr *e;
    if (at(p, TK_MINUS)) {
        advance(p);
        if (at(p, TK_NUMBER)) {
            e = number_literal(p, start, true);
        } else {
            expr *x = parse_unary(p);
            e = NULL;
            if (x) {
                e = node(p, EXPR_UNARY, start);
                e->op = OP_NEG;
                e->args = args_alloc(p, 1);
                e->args[0] = x;
                e->nargs = 1;
                finish(p, e, start);
            }
        }
    } else if (at(p, TK_PLUS)) {
        advance(p);
        e = parse_unary(p);
    } else {
        e = parse_postfix(p);
    }
    p->depth--;
    return e;
}

static expr *parse_mul(parser *p)
{
    int start = p->pos;
    expr *l = parse_unary(p);
    while (l) {
        expr_op op;
        if (at(p, TK_STAR))
            op = OP_MUL;
        else if (at(p, TK_SLASH))
            op = OP_DIV;
        else if (at(p, TK_PERCENT))
            op = OP_MOD;
        else
            break;
        advance(p);
        expr *r = parse_unary(p);
        if (!r)
            return NULL;
        l = binary(p, op, l, r, start);
    }
    return l;
}

/* + - and || share a level, as in Spark's grammar. */
static expr *parse_add(parser *p)
{
    int start = p->pos;
    expr *l = parse_mul(p);
    while (l) {
        expr_op op;
        if (at(p, TK_PLUS))
            op = OP_ADD;
        else if (at(p, TK_MINUS))
            op = OP_SUB;
        else if (at(p, TK_CONCAT))
            op = OP_CONCAT;
        else
            break;
        advance(p);
        expr *r = parse_mul(p);
        if (!r)
            return NULL;
        l = binary(p, op, l, r, start);
    }
    return l;
}

static bool comparison_op(parser *p, expr_op *op)
{
    switch (cur(p)->kind) {
    case TK_EQ:
    case TK_EQEQ: *op = OP_EQ; return true;
    case TK_NE: *op = OP_NE; return true;
    case TK_LT: *op = OP_LT; return true;
    case TK_LE: *op = OP_LE; return true;
    case TK_GT: *op = OP_GT; return true;
    case TK_GE: *op = OP_GE; return true;
    case TK_NSEQ: *op = OP_EQ_NULLSAFE; return true;
    default: return false;
    }
}

static expr *parse_comparison(parser *p)
{
    int start = p->pos;
    expr *l = parse_add(p);
    expr_op op;
    while (l && comparison_op(p, &op)) {
        advance(p);
        expr *r = parse_add(p);
        if (!r)
            return NULL;
        l = binary(p, op, l, r, start);
    }
    return l;
}

/* comparison [IS [NOT] NULL | IS [NOT] DISTINCT FROM x | [NOT] IN (...) |
 * [NOT] BETWEEN a AND b | [NOT] LIKE p] */
static expr *parse_predicate(parser *p)
{
    int start = p->pos;
    expr *l = parse_comparison(p);
    if (!l)
        return NULL;
    if (at_kw(p, "IS")) {
        advance(p);
        bool neg = accept_kw(p, "NOT");
        if (accept_kw(p, "NULL")) {
            expr *e = node(p, EXPR_IS_NULL, start);
            e->negated = neg;
            e->args = args_alloc(p, 1);
            e->args[0] = l;
            e->nargs = 1;
            return finish(p, e, start);
        }
        if (accept_kw(p, "DISTINCT")) {
            if (!accept_kw(p, "FROM")) {
                fail_expected(p, "FROM after IS DISTINCT");
                return NULL;
            }
            expr *r = parse_comparison(p);
            if (!r)
                return NULL;
            expr *e = binary(p, OP_EQ_NULLSAFE, l, r, start);
            if (!neg) {
                expr *n = node(p, EXPR_UNARY, start);
                n->op = OP_NOT;
                n->args = args_alloc(p, 1);
                n->args[0] = e;
                n->nargs = 1;
                e = finish(p, n, start);
            }
            return e;
        }
        fail_expected(p, neg ? "NULL or DISTINCT FROM after IS NOT"
                             : "NULL or DISTINCT FROM after IS");
        return NULL;
    }
    bool neg = false;
    if (at_kw(p, "NOT")) {
        if (!tok_is(p->src, peek(p, 1), "IN") && !tok_is(p->src, peek(p, 1), "BETWEEN") &&
            !tok_is(p->src, peek(p, 1), "LIKE")) {
            advance(p);
            fail_expected(p, "IN, BETWEEN or LIKE after NOT");
            return NULL;
        }
        advance(p);
        neg = true;
    }
    if (at_kw(p, "IN")) {
        advance(p);
        if (!accept(p, TK_LPAREN)) {
            fail_expected(p, "'(' after IN");
            return NULL;
        }
        if (at_kw(p, "SELECT")) {
            fail(p, cur(p), NULL, "subqueries are not supported");
            return NULL;
        }
        expr_vec list = {0};
        vec_push(p, &list, l);
        for (;;) {
            expr *x = parse_expr(p);
            if (!x)
                return NULL;
            vec_push(p, &list, x);
            if (!accept(p, TK_COMMA))
                break;
        }
        if (!accept(p, TK_RPAREN)) {
            fail_expected(p, "',' or ')' in IN list");
            return NULL;
        }
        expr *e = node(p, EXPR_IN, start);
        e->negated = neg;
        e->args = list.v;
        e->nargs = list.n;
        return finish(p, e, start);
    }
    if (at_kw(p, "BETWEEN")) {
        advance(p);
        expr *lo = parse_comparison(p);
        if (!lo)
            return NULL;
        if (!accept_kw(p, "AND")) {
            fail_expected(p, "AND in BETWEEN");
            return NULL;
        }
        expr *hi = parse_comparison(p);
        if (!hi)
            return NULL;
        expr *e = node(p, EXPR_BETWEEN, start);
        e->negated = neg;
        e->args = args_alloc(p, 3);
        e->args[0] = l;
        e->args[1] = lo;
        e->args[2] = hi;
        e->nargs = 3;
        return finish(p, e, start);
    }
    if (at_kw(p, "LIKE")) {
        advance(p);
        expr *pat = parse_comparison(p);
        if (!pat)
            return NULL;
        expr *e = node(p, EXPR_LIKE, start);
        e->negated = neg;
        e->args = args_alloc(p, 2);
        e->args[0] = l;
        e->args[1] = pat;
        e->nargs = 2;
        return finish(p, e, start);
    }
    return l;
}

static expr *parse_not(parser *p)
{
    if (!at_kw(p, "NOT"))
        return parse_predicate(p);
    if (++p->depth > MAX_DEPTH) {
        fail(p, cur(p), NULL, "expression nested too deeply");
        return NULL;
    }
    int start = p->pos;
    advance(p);
    expr *x = parse_not(p);
    p->depth--;
    if (!x)
        return NULL;
    expr *e = node(p, EXPR_UNARY, start);
    e->op = OP_NOT;
    e->args = args_alloc(p, 1);
    e->args[0] = x;
    e->nargs = 1;
    return finish(p, e, start);
}

static expr *parse_and(parser *p)
{
    int start = p->pos;
    expr *l = parse_not(p);
    while (l && at_kw(p, "AND")) {
        advance(p);
        expr *r = parse_not(p);
        if (!r)
            return NULL;
        l = binary(p, OP_AND, l, r, start);
    }
    return l;
}

static expr *parse_expr(parser *p)
{
    int start = p->pos;
    expr *l = parse_and(p);
    while (l && at_kw(p, "OR")) {
        advance(p);
        expr *r = parse_and(p);
        if (!r)
            return NULL;
        l = binary(p, OP_OR, l, r, start);
    }
    return l;
}

/* ---- SELECT ------------------------------------------------------------ */

/* An alias after AS: any name. Without AS: a name that is not reserved. */
static int parse_alias(parser *p, const char **alias)
{
    if (accept_kw(p, "AS")) {
        if (!is_name_tok(cur(p)))
            return fail_expected(p, "a name after AS");
        *alias = tok_name(p, cur(p));
        advance(p);
        return 0;
    }
    if (cur(p)->kind == TK_QIDENT || (cur(p)->kind == TK_WORD && !is_reserved(p, cur(p)))) {
        *alias = tok_name(p, cur(p));
        advance(p);
        return 0;
    }
    *alias = NULL;
    return 0;
}

static int parse_from_item(parser *p, ast_from *f, const char *after)
{
    const token *t = cur(p);
    if (t->kind == TK_LPAREN)
        return fail(p, t, NULL,
                    "subqueries in FROM are not supported; define a VIEW and select from it");
    if (!is_name_tok(t) || is_reserved(p, t)) {
        char what[96];
        snprintf(what, sizeof what, "a source, table or view name after %s", after);
        return fail_expected(p, what);
    }
    f->name = tok_name(p, t);
    f->line = t->line;
    f->col = t->col;
    advance(p);
    if (at(p, TK_DOT))
        return fail(p, cur(p), NULL, "qualified names such as db.table are not supported");
    return parse_alias(p, &f->alias);
}

static int parse_select_items(parser *p, ast_select *s)
{
    int cap = 0;
    for (;;) {
        if (s->nitems == cap) {
            int ncap = cap ? cap * 2 : 8;
            ast_select_item *ni = arena_calloc(p->a, (size_t)ncap * sizeof *ni);
            if (s->nitems)
                memcpy(ni, s->items, (size_t)s->nitems * sizeof *ni);
            s->items = ni;
            cap = ncap;
        }
        ast_select_item *it = &s->items[s->nitems];
        const token *t = cur(p);
        it->line = t->line;
        it->col = t->col;
        int start = p->pos;
        if (at(p, TK_STAR)) {
            advance(p);
            it->e = finish(p, node(p, EXPR_STAR, start), start);
        } else if (is_name_tok(t) && !is_reserved(p, t) && peek(p, 1)->kind == TK_DOT &&
                   peek(p, 2)->kind == TK_STAR) {
            const char *q = tok_name(p, t);
            advance(p);
            advance(p);
            advance(p);
            it->e = finish(p, node(p, EXPR_STAR, start), start);
            it->e->qualifier = q;
        } else {
            it->e = parse_expr(p);
            if (!it->e)
                return -EDDY_SQL;
            if (parse_alias(p, &it->alias) != 0)
                return -EDDY_SQL;
        }
        s->nitems++;
        if (!accept(p, TK_COMMA))
            return 0;
    }
}

static int parse_expr_list(parser *p, expr ***out, int *n)
{
    expr_vec v = {0};
    for (;;) {
        expr *e = parse_expr(p);
        if (!e)
            return -EDDY_SQL;
        vec_push(p, &v, e);
        if (!accept(p, TK_COMMA))
            break;
    }
    *out = v.v;
    *n = v.n;
    return 0;
}

static int parse_order_by(parser *p, ast_select *s)
{
    int cap = 0;
    for (;;) {
        if (s->norder_by == cap) {
            int ncap = cap ? cap * 2 : 4;
            ast_order_item *ni = arena_calloc(p->a, (size_t)ncap * sizeof *ni);
            if (s->norder_by)
                memcpy(ni, s->order_by, (size_t)s->norder_by * sizeof *ni);
            s->order_by = ni;
            cap = ncap;
        }
        ast_order_item *o = &s->order_by[s->norder_by];
        o->e = parse_expr(p);
        if (!o->e)
            return -EDDY_SQL;
        if (accept_kw(p, "DESC"))
            o->desc = true;
        else
            accept_kw(p, "ASC");
        if (accept_kw(p, "NULLS")) {
            if (accept_kw(p, "FIRST"))
                o->nulls = 1;
            else if (accept_kw(p, "LAST"))
                o->nulls = 2;
            else
                return fail_expected(p, "FIRST or LAST after NULLS");
        }
        s->norder_by++;
        if (!accept(p, TK_COMMA))
            return 0;
    }
}

static int parse_join(parser *p, ast_select *s)
{
    const token *t = cur(p);
    join_kind kind;
    if (at_kw(p, "JOIN")) {
        kind = JOIN_INNER;
    } else if (at_kw(p, "INNER")) {
        advance(p);
        if (!at_kw(p, "JOIN"))
            return fail_expected(p, "JOIN after INNER");
        kind = JOIN_INNER;
    } else if (at_kw(p, "LEFT")) {
        advance(p);
        accept_kw(p, "OUTER");
        if (!at_kw(p, "JOIN"))
            return fail_expected(p, "JOIN after LEFT");
        kind = JOIN_LEFT;
    } else {
        char buf[80];
        return fail(p, t, NULL,
                    "%s joins are not supported: a stream joins a static table with "
                    "[INNER] JOIN or LEFT [OUTER] JOIN",
                    describe(p, t, buf, sizeof buf));
    }
    if (s->join != JOIN_NONE)
        return fail(p, t, NULL, "only one JOIN per query is supported");
    advance(p);
    s->join = kind;
    if (parse_from_item(p, &s->join_table, "JOIN") != 0)
        return -EDDY_SQL;
    if (!accept_kw(p, "ON"))
        return fail_expected(p, "ON after the joined table");
    s->join_on = parse_expr(p);
    return s->join_on ? 0 : -EDDY_SQL;
}

static bool at_join(parser *p)
{
    return at_kw(p, "JOIN") || at_kw(p, "INNER") || at_kw(p, "LEFT") || at_kw(p, "RIGHT") ||
           at_kw(p, "FULL") || at_kw(p, "CROSS");
}

static ast_select *parse_select(parser *p)
{
    ast_select *s = arena_calloc(p->a, sizeof *s);
    s->limit = -1;
    s->line = cur(p)->line;
    s->col = cur(p)->col;
    advance(p);
    if (accept_kw(p, "DISTINCT"))
        s->distinct = true;
    else
        accept_kw(p, "ALL");
    if (parse_select_items(p, s) != 0)
        return NULL;
    if (!accept_kw(p, "FROM")) {
        fail_expected(p, "FROM after the select list");
        return NULL;
    }
    if (parse_from_item(p, &s->from, "FROM") != 0)
        return NULL;
    while (at_join(p))
        if (parse_join(p, s) != 0)
            return NULL;
    if (accept_kw(p, "WHERE") && !(s->where = parse_expr(p)))
        return NULL;
    if (at_kw(p, "GROUP")) {
        advance(p);
        if (!accept_kw(p, "BY")) {
            fail_expected(p, "BY after GROUP");
            return NULL;
        }
        if (parse_expr_list(p, &s->group_by, &s->ngroup_by) != 0)
            return NULL;
    }
    if (accept_kw(p, "HAVING") && !(s->having = parse_expr(p)))
        return NULL;
    if (at_kw(p, "ORDER")) {
        s->order_line = cur(p)->line;
        s->order_col = cur(p)->col;
        advance(p);
        if (!accept_kw(p, "BY")) {
            fail_expected(p, "BY after ORDER");
            return NULL;
        }
        if (parse_order_by(p, s) != 0)
            return NULL;
    }
    if (at_kw(p, "LIMIT")) {
        s->limit_line = cur(p)->line;
        s->limit_col = cur(p)->col;
        advance(p);
        const token *t = cur(p);
        char *end = NULL;
        long long v = -1;
        if (t->kind == TK_NUMBER) {
            char buf[32];
            int n = t->len < 31 ? t->len : 31;
            memcpy(buf, p->src + t->off, (size_t)n);
            buf[n] = '\0';
            errno = 0;
            v = strtoll(buf, &end, 10);
            if (errno || *end)
                v = -1;
        }
        if (v < 0) {
            fail_expected(p, "a non-negative integer after LIMIT");
            return NULL;
        }
        advance(p);
        s->limit = v;
    }
    static const char *const clauses[] = {"WHERE", "GROUP", "HAVING", "ORDER", "LIMIT", "JOIN"};
    for (size_t i = 0; i < sizeof clauses / sizeof clauses[0]; i++) {
        if (at_kw(p, clauses[i])) {
            char buf[80];
            fail(p, cur(p), NULL,
                 "unexpected %s: clauses go in the order FROM, JOIN, WHERE, GROUP BY, HAVING, "
                 "ORDER BY, LIMIT", describe(p, cur(p), buf, sizeof buf));
            return NULL;
        }
    }
    if (at_kw(p, "UNION")) {
        fail(p, cur(p), NULL, "UNION is not supported");
        return NULL;
    }
    return s;
}

/* ---- statements -------------------------------------------------------- */

/* INTERVAL 10 SECONDS | INTERVAL '10' SECOND | INTERVAL '10 seconds' |
 * INTERVAL 1 MINUTE 30 SECONDS, after the INTERVAL token. Sets *us. */
/* Appends to a bounded buffer; text past the end is dropped. */
static void append(char *buf, size_t cap, int *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void append(char *buf, size_t cap, int *n, const char *fmt, ...)
{
    if ((size_t)*n >= cap - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf + *n, cap - (size_t)*n, fmt, ap);
    va_end(ap);
    *n += k;
    if ((size_t)*n > cap - 1)
        *n = (int)cap - 1;
}

static int parse_interval(parser *p, const token *kw, long long *us)
{
    char text[256];
    int n = 0;
    int parts = 0;
    for (;;) {
        const token *t = cur(p);
        bool neg = t->kind == TK_MINUS && peek(p, 1)->kind == TK_NUMBER;
        if (neg) {
            advance(p);
            t = cur(p);
        }
        if (t->kind != TK_NUMBER && t->kind != TK_STRING) {
            if (parts)
                break;
            return fail_expected(p, "a number or string after INTERVAL");
        }
        const char *v = t->kind == TK_STRING ? t->val : p->src + t->off;
        int vlen = t->kind == TK_STRING ? t->vlen : t->len;
        append(text, sizeof text, &n, "%s%s%.*s", n ? " " : "", neg ? "-" : "",
               vlen > 100 ? 100 : vlen, v);
        bool unit_inside = t->kind == TK_STRING;
        advance(p);
        const token *u = cur(p);
        int64_t probe;
        char ubuf[64];
        if (u->kind == TK_WORD && u->len < 40) {
            snprintf(ubuf, sizeof ubuf, "1 %.*s", u->len, p->src + u->off);
            if (duration_parse(ubuf, strlen(ubuf), &probe) == 0) {
                append(text, sizeof text, &n, " %.*s", u->len, p->src + u->off);
                advance(p);
                parts++;
                continue;
            }
        }
        if (!unit_inside) {
            char what[96];
            snprintf(what, sizeof what, "a time unit such as SECONDS after '%.*s'",
                     t->len > 40 ? 40 : t->len, p->src + t->off);
            return fail_expected(p, what);
        }
        parts++;
        break;
    }
    int64_t v;
    if (duration_parse(text, strlen(text), &v) != 0)
        return fail(p, kw, NULL, "invalid interval '%s'", text);
    *us = v;
    return 0;
}

/* WATERMARK FOR c AS c - INTERVAL ... inside a CREATE SOURCE column list. */
static int parse_watermark(parser *p, ast_stmt *st)
{
    const token *wm = cur(p);
    if (st->wm_column)
        return fail(p, wm, NULL, "a source has at most one WATERMARK");
    advance(p);
    advance(p);
    const token *c = cur(p);
    if (!is_name_tok(c))
        return fail_expected(p, "a column name after WATERMARK FOR");
    st->wm_column = tok_name(p, c);
    st->wm_line = c->line;
    st->wm_col = c->col;
    advance(p);
    if (!accept_kw(p, "AS"))
        return fail_expected(p, "AS after WATERMARK FOR column");
    const token *c2 = cur(p);
    if (!is_name_tok(c2) || !str_ieq(tok_name(p, c2), st->wm_column))
        return fail(p, c2, NULL, "the watermark must be '%s - INTERVAL ...'", st->wm_column);
    advance(p);
    if (!accept(p, TK_MINUS))
        return fail_expected(p, "'- INTERVAL ...' after the watermark column");
    const token *kw = cur(p);
    if (!accept_kw(p, "INTERVAL"))
        return fail_expected(p, "INTERVAL after '-' in WATERMARK");
    long long us = 0;
    if (parse_interval(p, kw, &us) != 0)
        return -EDDY_SQL;
    if (us < 0)
        return fail(p, kw, NULL, "the watermark delay must not be negative");
    st->wm_delay_us = us;
    return 0;
}

/* (col TYPE [NOT NULL] [COMMENT '...'], ..., [WATERMARK ...]) */
static int parse_columns(parser *p, ast_stmt *st, bool allow_watermark)
{
    advance(p);
    int cap = 0;
    for (;;) {
        const token *t = cur(p);
        if (tok_is(p->src, t, "WATERMARK") && tok_is(p->src, peek(p, 1), "FOR")) {
            if (!allow_watermark)
                return fail(p, t, NULL, "WATERMARK is only allowed in CREATE SOURCE");
            if (parse_watermark(p, st) != 0)
                return -EDDY_SQL;
        } else {
            if (!is_name_tok(t))
                return fail_expected(p, "a column definition");
            const char *name = tok_name(p, t);
            for (int i = 0; i < st->ncolumns; i++)
                if (str_ieq(st->columns[i].name, name))
                    return fail(p, t, NULL, "duplicate column '%s'", name);
            advance(p);
            type_id type;
            char after[96];
            snprintf(after, sizeof after, "column '%.60s'", name);
            if (parse_type(p, &type, after) != 0)
                return -EDDY_SQL;
            if (at_kw(p, "NOT") && tok_is(p->src, peek(p, 1), "NULL")) {
                advance(p);
                advance(p);
            }
            if (accept_kw(p, "COMMENT")) {
                if (!accept(p, TK_STRING))
                    return fail_expected(p, "a string after COMMENT");
            }
            if (st->ncolumns == cap) {
                int ncap = cap ? cap * 2 : 8;
                ast_column *nc = arena_alloc(p->a, (size_t)ncap * sizeof *nc);
                if (st->ncolumns)
                    memcpy(nc, st->columns, (size_t)st->ncolumns * sizeof *nc);
                st->columns = nc;
                cap = ncap;
            }
            ast_column *c = &st->columns[st->ncolumns++];
            c->name = name;
            c->type = type;
            c->line = t->line;
            c->col = t->col;
        }
        if (accept(p, TK_COMMA))
            continue;
        if (accept(p, TK_RPAREN))
            return 0;
        return fail_expected(p, "')' after column list");
    }
}

/* WITH (key = value, ...): keys are names (dotted allowed) or strings; values
 * literals or bare words, kept as text. */
static int parse_options(parser *p, ast_stmt *st)
{
    advance(p);
    if (!accept(p, TK_LPAREN))
        return fail_expected(p, "'(' after WITH");
    if (accept(p, TK_RPAREN))
        return 0;
    for (;;) {
        const token *k = cur(p);
        const char *key;
        if (k->kind == TK_STRING) {
            key = k->val;
            advance(p);
        } else if (is_name_tok(k)) {
            int from = p->pos;
            advance(p);
            while (at(p, TK_DOT) && is_name_tok(peek(p, 1))) {
                advance(p);
                advance(p);
            }
            key = p->pos - from == 1 ? tok_name(p, k) : span_text(p, from, p->pos - 1);
        } else {
            return fail_expected(p, "an option name");
        }
        if (options_find(&st->opts, key))
            return fail(p, k, NULL, "duplicate option '%s'", key);
        accept(p, TK_EQ);
        const token *v = cur(p);
        const char *value;
        if (v->kind == TK_STRING) {
            value = v->val;
            advance(p);
        } else if (v->kind == TK_NUMBER) {
            value = tok_name(p, v);
            advance(p);
        } else if (v->kind == TK_MINUS && peek(p, 1)->kind == TK_NUMBER) {
            advance(p);
            size_t n = (size_t)cur(p)->len;
            char *neg = arena_alloc(p->a, n + 2);
            neg[0] = '-';
            memcpy(neg + 1, p->src + cur(p)->off, n);
            neg[n + 1] = '\0';
            value = neg;
            advance(p);
        } else if (tok_is(p->src, v, "TRUE") || tok_is(p->src, v, "FALSE")) {
            value = tok_is(p->src, v, "TRUE") ? "true" : "false";
            advance(p);
        } else if (v->kind == TK_WORD && !is_reserved(p, v)) {
            value = tok_name(p, v);
            advance(p);
        } else {
            char what[160];
            snprintf(what, sizeof what, "a value for option '%.80s'", key);
            return fail_expected(p, what);
        }
        options_set(&st->opts, key, value, k->line, k->col);
        if (accept(p, TK_COMMA))
            continue;
        if (accept(p, TK_RPAREN))
            return 0;
        return fail_expected(p, "',' or ')' in WITH options");
    }
}

static int parse_set(parser *p, ast_stmt *st)
{
    advance(p);
    int from = p->pos;
    while (!at(p, TK_EQ) && !at(p, TK_SEMI) && !at(p, TK_EOF) && !at(p, TK_ERROR))
        advance(p);
    if (p->pos == from)
        return fail_expected(p, "a setting name after SET");
    if (!at(p, TK_EQ))
        return fail_expected(p, "'=' after the SET key");
    const token *k = &p->lx.toks[from];
    st->name = p->pos - from == 1 && k->kind == TK_STRING ? k->val
               : p->pos - from == 1                       ? tok_name(p, k)
                                                          : span_text(p, from, p->pos - 1);
    st->name_line = k->line;
    st->name_col = k->col;
    advance(p);
    int vfrom = p->pos;
    int vline = cur(p)->line;
    while (!at(p, TK_SEMI) && !at(p, TK_EOF) && !at(p, TK_ERROR)) {
        if (p->pos > vfrom && (cur(p)->line != vline || at_kw(p, "SET") || at_kw(p, "CREATE")))
            return fail_expected(p, "';' after the SET value");
        advance(p);
    }
    if (p->pos == vfrom || at(p, TK_ERROR))
        return fail_expected(p, "a value after '=' in SET");
    const token *v = &p->lx.toks[vfrom];
    st->value = p->pos - vfrom == 1 && v->kind == TK_STRING ? v->val
                                                            : span_text(p, vfrom, p->pos - 1);
    return 0;
}

static int parse_name(parser *p, ast_stmt *st, const char *what)
{
    const token *t = cur(p);
    if (!is_name_tok(t)) {
        char buf[96];
        snprintf(buf, sizeof buf, "a name after CREATE %s", what);
        return fail_expected(p, buf);
    }
    st->name = tok_name(p, t);
    st->name_line = t->line;
    st->name_col = t->col;
    advance(p);
    return 0;
}

static int parse_create(parser *p, ast_stmt *st)
{
    advance(p);
    const token *k = cur(p);
    if (tok_is(p->src, k, "SOURCE") || tok_is(p->src, k, "TABLE")) {
        bool is_source = tok_is(p->src, k, "SOURCE");
        st->kind = is_source ? STMT_CREATE_SOURCE : STMT_CREATE_TABLE;
        advance(p);
        if (parse_name(p, st, is_source ? "SOURCE" : "TABLE") != 0)
            return -EDDY_SQL;
        if (at(p, TK_LPAREN) && parse_columns(p, st, is_source) != 0)
            return -EDDY_SQL;
        if (at_kw(p, "WITH"))
            return parse_options(p, st);
        if (!at(p, TK_SEMI) && !at(p, TK_EOF))
            return fail_expected(p, st->ncolumns ? "WITH or ';' after the column list"
                                                 : "a column list, WITH or ';'");
        return 0;
    }
    if (tok_is(p->src, k, "VIEW")) {
        st->kind = STMT_CREATE_VIEW;
        advance(p);
        if (parse_name(p, st, "VIEW") != 0)
            return -EDDY_SQL;
        if (!accept_kw(p, "AS"))
            return fail_expected(p, "AS after the view name");
        if (!at_kw(p, "SELECT"))
            return fail_expected(p, "SELECT after AS");
        st->select = parse_select(p);
        return st->select ? 0 : -EDDY_SQL;
    }
    if (tok_is(p->src, k, "SINK")) {
        st->kind = STMT_CREATE_SINK;
        advance(p);
        if (parse_name(p, st, "SINK") != 0)
            return -EDDY_SQL;
        if (at_kw(p, "WITH") && parse_options(p, st) != 0)
            return -EDDY_SQL;
        if (at_kw(p, "SELECT"))
            return fail(p, cur(p), NULL, "expected AS before SELECT in CREATE SINK");
        if (!accept_kw(p, "AS"))
            return fail_expected(p, st->opts.n ? "AS SELECT ... after WITH (...)"
                                               : "WITH (...) or AS after the sink name");
        if (!at_kw(p, "SELECT"))
            return fail_expected(p, "SELECT after AS");
        st->select = parse_select(p);
        return st->select ? 0 : -EDDY_SQL;
    }
    static const char *const kinds[] = {"SOURCE", "TABLE", "VIEW", "SINK"};
    const char *hint = NULL;
    if (k->kind == TK_WORD)
        hint = str_nearest(tok_name(p, k), kinds, 4);
    char buf[80];
    return fail(p, k, hint, "expected SOURCE, TABLE, VIEW or SINK after CREATE, found %s",
                describe(p, k, buf, sizeof buf));
}

static int parse_statement(parser *p, ast_stmt *st)
{
    const token *t = cur(p);
    st->line = t->line;
    st->col = t->col;
    st->wm_delay_us = -1;
    options_init(&st->opts);
    if (at_kw(p, "SET"))
        return parse_set(p, st);
    if (at_kw(p, "CREATE"))
        return parse_create(p, st);
    if (at_kw(p, "SELECT"))
        return fail(p, t, NULL,
                    "a query runs as a sink: CREATE SINK name WITH (...) AS SELECT ...");
    static const char *const starts[] = {"SET", "CREATE"};
    const char *hint = t->kind == TK_WORD ? str_nearest(tok_name(p, t), starts, 2) : NULL;
    char buf[80];
    return fail(p, t, hint, "expected a statement (SET or CREATE), found %s",
                describe(p, t, buf, sizeof buf));
}

int sql_parse(const char *text, const char *file_name, arena *a, ast_file *out, eddy_error *err)
{
    parser *p = xcalloc(1, sizeof *p);
    p->src = text;
    p->file = file_name;
    p->a = a;
    p->err = err;
    lex_all(text, a, &p->lx);
    int rc = 0;
    for (;;) {
        while (accept(p, TK_SEMI)) {
        }
        if (at(p, TK_EOF))
            break;
        if (p->nstmts == p->cap) {
            p->cap = p->cap ? p->cap * 2 : 8;
            p->stmts = xrealloc(p->stmts, (size_t)p->cap * sizeof(ast_stmt));
        }
        ast_stmt *st = &p->stmts[p->nstmts++];
        memset(st, 0, sizeof *st);
        if ((rc = parse_statement(p, st)) != 0)
            break;
        if (!at(p, TK_SEMI) && !at(p, TK_EOF)) {
            rc = fail_expected(p, "';' after the statement");
            break;
        }
    }
    free(p->lx.toks);
    out->stmts = p->stmts;
    out->nstmts = p->nstmts;
    free(p);
    if (rc != 0) {
        ast_file_free(out);
        return -EDDY_SQL;
    }
    return 0;
}

void ast_file_free(ast_file *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->nstmts; i++)
        options_free(&f->stmts[i].opts);
    free(f->stmts);
    f->stmts = NULL;
    f->nstmts = 0;
}

/* ---- DDL schema strings ------------------------------------------------ */

int sql_parse_schema_ddl(const char *ddl, schema *s, eddy_error *err)
{
    arena *a = arena_new(4096);
    lex_result lx;
    lex_all(ddl, a, &lx);
    int rc = 0;
    int i = 0;
    char buf[128];
    for (;;) {
        const token *t = &lx.toks[i];
        if (t->kind == TK_ERROR) {
            rc = err_set(err, EDDY_SQL, "schema: %s", lx.msg);
            break;
        }
        if (!is_name_tok(t)) {
            if (t->kind == TK_EOF && i == 0)
                rc = err_set(err, EDDY_SQL, "schema: empty schema string");
            else if (t->kind == TK_EOF)
                rc = err_set(err, EDDY_SQL, "schema: expected a column name after ','");
            else
                rc = err_set(err, EDDY_SQL, "schema: expected a column name, found '%.*s'",
                             t->len > 40 ? 40 : t->len, ddl + t->off);
            break;
        }
        const char *name = t->kind == TK_QIDENT ? t->val
                                                : arena_strndup(a, ddl + t->off, (size_t)t->len);
        if (schema_find(s, name) >= 0) {
            rc = err_set(err, EDDY_SQL, "schema: duplicate column '%s'", name);
            break;
        }
        i++;
        if (lx.toks[i].kind == TK_COLON)
            i++;
        const token *ty = &lx.toks[i];
        type_id type;
        if (ty->kind != TK_WORD) {
            rc = err_set(err, EDDY_SQL, "schema: expected a type after column '%s'", name);
            break;
        }
        if (type_parse(ddl + ty->off, (size_t)ty->len, &type) != 0) {
            snprintf(buf, sizeof buf, "%.*s", ty->len > 60 ? 60 : ty->len, ddl + ty->off);
            const char *hint = str_nearest(buf, type_names, NTYPE_NAMES);
            if (hint)
                rc = err_set(err, EDDY_SQL,
                             "schema: unknown type '%s' for column '%s' (did you mean '%s'?)", buf,
                             name, hint);
            else
                rc = err_set(err, EDDY_SQL, "schema: unknown type '%s' for column '%s'", buf, name);
            break;
        }
        i++;
        if (tok_is(ddl, &lx.toks[i], "NOT") && tok_is(ddl, &lx.toks[i + 1], "NULL"))
            i += 2;
        if (tok_is(ddl, &lx.toks[i], "COMMENT") && lx.toks[i + 1].kind == TK_STRING)
            i += 2;
        schema_add(s, name, type);
        if (lx.toks[i].kind == TK_COMMA) {
            i++;
            continue;
        }
        if (lx.toks[i].kind == TK_EOF)
            break;
        if (lx.toks[i].kind == TK_ERROR) {
            rc = err_set(err, EDDY_SQL, "schema: %s", lx.msg);
            break;
        }
        rc = err_set(err, EDDY_SQL, "schema: expected ',' after column '%s', found '%.*s'", name,
                     lx.toks[i].len > 40 ? 40 : lx.toks[i].len, ddl + lx.toks[i].off);
        break;
    }
    free(lx.toks);
    arena_free(a);
    if (rc != 0) {
        schema_free(s);
        schema_init(s);
    }
    return rc;
}
