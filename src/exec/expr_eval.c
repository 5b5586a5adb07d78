/* Vectorised evaluation of bound expression trees over one batch: operators,
 * predicates, LIKE, CASE, casts and scalar function calls, a column at a time
 * with Spark's (non-ANSI) typing and NULL rules. */
#include "exec/expr_eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/err.h"
#include "core/mem.h"

#define ALL_ROWS UINT32_MAX

static int eval(const expr *e, const batch *in, func_ctx *ctx, column *out, int *owned,
                eddy_error *err);

static const char *op_text(expr_op op)
{
    switch (op) {
    case OP_ADD: return "+";
    case OP_SUB: return "-";
    case OP_MUL: return "*";
    case OP_DIV: return "/";
    case OP_MOD: return "%";
    case OP_EQ: return "=";
    case OP_NE: return "<>";
    case OP_LT: return "<";
    case OP_LE: return "<=";
    case OP_GT: return ">";
    case OP_GE: return ">=";
    case OP_EQ_NULLSAFE: return "<=>";
    case OP_AND: return "AND";
    case OP_OR: return "OR";
    case OP_NEG: return "-";
    case OP_NOT: return "NOT";
    case OP_CONCAT: return "||";
    default: return "?";
    }
}

static type_id wider_numeric(type_id a, type_id b)
{
    if (a == TYPE_DOUBLE || b == TYPE_DOUBLE)
        return TYPE_DOUBLE;
    if (a == TYPE_BIGINT || b == TYPE_BIGINT)
        return TYPE_BIGINT;
    return TYPE_INT;
}

/* Spark's findCommonTypeForBinaryComparison plus numeric widening. */
static int comparison_type(type_id l, type_id r, type_id *t)
{
    if (l == r) {
        *t = l;
        return 0;
    }
    if (l == TYPE_NULL || r == TYPE_NULL) {
        *t = l == TYPE_NULL ? r : l;
        return 0;
    }
    if (type_is_numeric(l) && type_is_numeric(r)) {
        *t = wider_numeric(l, r);
        return 0;
    }
    if ((l == TYPE_DATE && r == TYPE_TIMESTAMP) || (l == TYPE_TIMESTAMP && r == TYPE_DATE)) {
        *t = TYPE_TIMESTAMP;
        return 0;
    }
    /* A string against another atomic type is cast to that type. */
    if (l == TYPE_STRING && r != TYPE_WINDOW) {
        *t = r;
        return 0;
    }
    if (r == TYPE_STRING && l != TYPE_WINDOW) {
        *t = l;
        return 0;
    }
    return -1;
}

int expr_binary_types(expr_op op, type_id l, type_id r, type_id *lt, type_id *rt,
                      type_id *ret, char *msg, int msgcap)
{
    type_id t;
    switch (op) {
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_MOD: {
        if ((op == OP_ADD || op == OP_SUB) && l == TYPE_DATE &&
            (r == TYPE_INT || r == TYPE_NULL)) {
            *lt = TYPE_DATE, *rt = TYPE_INT, *ret = TYPE_DATE;
            return 0;
        }
        if (op == OP_ADD && r == TYPE_DATE && (l == TYPE_INT || l == TYPE_NULL)) {
            *lt = TYPE_INT, *rt = TYPE_DATE, *ret = TYPE_DATE;
            return 0;
        }
        type_id a = l == TYPE_STRING ? TYPE_DOUBLE : l;
        type_id b = r == TYPE_STRING ? TYPE_DOUBLE : r;
        if (a == TYPE_NULL)
            a = b == TYPE_NULL ? TYPE_DOUBLE : b;
        if (b == TYPE_NULL)
            b = a;
        if (!type_is_numeric(a) || !type_is_numeric(b))
            break;
        *lt = *rt = *ret = wider_numeric(a, b);
        return 0;
    }
    case OP_DIV:
        if ((type_is_numeric(l) || l == TYPE_STRING || l == TYPE_NULL) &&
            (type_is_numeric(r) || r == TYPE_STRING || r == TYPE_NULL)) {
            *lt = *rt = *ret = TYPE_DOUBLE;
            return 0;
        }
        break;
    case OP_EQ:
    case OP_NE:
    case OP_LT:
    case OP_LE:
    case OP_GT:
    case OP_GE:
    case OP_EQ_NULLSAFE:
        if (comparison_type(l, r, &t) < 0)
            break;
        *lt = *rt = t;
        *ret = TYPE_BOOLEAN;
        return 0;
    case OP_AND:
    case OP_OR:
        if ((l == TYPE_BOOLEAN || l == TYPE_NULL || l == TYPE_STRING) &&
            (r == TYPE_BOOLEAN || r == TYPE_NULL || r == TYPE_STRING)) {
            *lt = *rt = *ret = TYPE_BOOLEAN;
            return 0;
        }
        break;
    case OP_CONCAT:
        if (l != TYPE_WINDOW && r != TYPE_WINDOW) {
            *lt = *rt = *ret = TYPE_STRING;
            return 0;
        }
        break;
    default:
        break;
    }
    if (msg && msgcap > 0)
        snprintf(msg, (size_t)msgcap, "cannot apply %s to %s and %s", op_text(op), type_name(l),
                 type_name(r));
    return -1;
}

/* ---- column helpers ----------------------------------------------------- */

static void release(column *c, int owned)
{
    if (owned)
        column_free(c);
}

/* Casts *c (rows rows) to t in place when its type differs. */
static void coerce(column *c, int *owned, type_id t, uint32_t rows, func_ctx *ctx)
{
    if (c->type == t)
        return;
    column tmp;
    column_init(&tmp, t, rows);
    cast_column(c, rows, t, &tmp, ctx);
    release(c, *owned);
    *c = tmp;
    *owned = 1;
}

/* Copies row si of src into row di of dst (same type). */
static inline void copy_row(column *dst, uint32_t di, const column *src, uint32_t si)
{
    dst->valid[di] = src->valid[si];
    switch (type_width(dst->type)) {
    case 1: dst->data.b[di] = src->data.b[si]; break;
    case 4: dst->data.i32[di] = src->data.i32[si]; break;
    case 8: dst->data.i64[di] = src->data.i64[si]; break;
    default: dst->data.w[di] = src->data.w[si]; break;
    }
}

/* A literal as a one-row column of type t (its own type when t is NULL). */
static void literal_row(const value *lit, type_id t, column *out, func_ctx *ctx)
{
    if (t == TYPE_NULL)
        t = lit->type;
    column_init(out, t, 1);
    if (lit->is_null || lit->type == TYPE_NULL) {
        out->valid[0] = 0;
        memset(out->data.raw, 0, type_width(t));
        return;
    }
    if (lit->type == t) {
        column_set(out, 0, lit);
        return;
    }
    column src;
    column_init(&src, lit->type, 1);
    column_set(&src, 0, lit);
    cast_column(&src, 1, t, out, ctx);
    column_free(&src);
}

/* Repeats row 0 of a one-row column n times. */
static void broadcast(const column *one, uint32_t n, column *out)
{
    column_init(out, one->type, n);
    memset(out->valid, one->valid[0], n);
    switch (type_width(one->type)) {
    case 1:
        memset(out->data.b, one->data.b[0], n);
        break;
    case 4:
        for (uint32_t i = 0; i < n; i++)
            out->data.i32[i] = one->data.i32[0];
        break;
    case 8:
        for (uint32_t i = 0; i < n; i++)
            out->data.i64[i] = one->data.i64[0];
        break;
    default:
        for (uint32_t i = 0; i < n; i++)
            out->data.w[i] = one->data.w[0];
        break;
    }
}

/* Evaluates an operand; a literal becomes a one-row column and *mask 0 so
 * kernels index it with i & mask, anything else a full column and mask
 * ALL_ROWS. */
static int eval_operand(const expr *e, const batch *in, func_ctx *ctx, column *out, int *owned,
                        uint32_t *mask, eddy_error *err)
{
    if (e->kind == EXPR_LITERAL) {
        literal_row(&e->lit, e->type, out, ctx);
        *owned = 1;
        *mask = 0;
        return 0;
    }
    *mask = ALL_ROWS;
    return eval(e, in, ctx, out, owned, err);
}

static uint32_t mask_rows(uint32_t mask, uint32_t n)
{
    return mask ? n : 1;
}

/* ---- arithmetic ---------------------------------------------------------- */

static void and_valid(uint8_t *v, const column *a, uint32_t am, const column *b, uint32_t bm,
                      uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        v[i] = a->valid[i & am] & b->valid[i & bm];
}

static void arith_i32(expr_op op, const column *a, uint32_t am, const column *b, uint32_t bm,
                      uint32_t n, column *out)
{
    const int32_t *x = a->data.i32, *y = b->data.i32;
    int32_t *r = out->data.i32;
    uint8_t *v = out->valid;
    and_valid(v, a, am, b, bm, n);
    switch (op) {
    case OP_ADD:
        for (uint32_t i = 0; i < n; i++)
            r[i] = (int32_t)((uint32_t)x[i & am] + (uint32_t)y[i & bm]);
        break;
    case OP_SUB:
        for (uint32_t i = 0; i < n; i++)
            r[i] = (int32_t)((uint32_t)x[i & am] - (uint32_t)y[i & bm]);
        break;
    case OP_MUL:
        for (uint32_t i = 0; i < n; i++)
            r[i] = (int32_t)((uint32_t)x[i & am] * (uint32_t)y[i & bm]);
        break;
    default:
        for (uint32_t i = 0; i < n; i++) {
            int32_t d = y[i & bm];
            if (d == 0) {
                v[i] = 0;
                r[i] = 0;
            } else {
                r[i] = d == -1 ? 0 : x[i & am] % d;
            }
        }
        break;
    }
}

static void arith_i64(expr_op op, const column *a, uint32_t am, const column *b, uint32_t bm,
                      uint32_t n, column *out)
{
    const int64_t *x = a->data.i64, *y = b->data.i64;
    int64_t *r = out->data.i64;
    uint8_t *v = out->valid;
    and_valid(v, a, am, b, bm, n);
    switch (op) {
    case OP_ADD:
        for (uint32_t i = 0; i < n; i++)
            r[i] = (int64_t)((uint64_t)x[i & am] + (uint64_t)y[i & bm]);
        break;
    case OP_SUB:
        for (uint32_t i = 0; i < n; i++)
            r[i] = (int64_t)((uint64_t)x[i & am] - (uint64_t)y[i & bm]);
        break;
    case OP_MUL:
        for (uint32_t i = 0; i < n; i++)
            r[i] = (int64_t)((uint64_t)x[i & am] * (uint64_t)y[i & bm]);
        break;
    default:
        for (uint32_t i = 0; i < n; i++) {
            int64_t d = y[i & bm];
            if (d == 0) {
                v[i] = 0;
                r[i] = 0;
            } else {
                r[i] = d == -1 ? 0 : x[i & am] % d;
            }
        }
        break;
    }
}

static void arith_f64(expr_op op, const column *a, uint32_t am, const column *b, uint32_t bm,
                      uint32_t n, column *out)
{
    const double *x = a->data.f64, *y = b->data.f64;
    double *r = out->data.f64;
    uint8_t *v = out->valid;
    and_valid(v, a, am, b, bm, n);
    switch (op) {
    case OP_ADD:
        for (uint32_t i = 0; i < n; i++)
            r[i] = x[i & am] + y[i & bm];
        break;
    case OP_SUB:
        for (uint32_t i = 0; i < n; i++)
            r[i] = x[i & am] - y[i & bm];
        break;
    case OP_MUL:
        for (uint32_t i = 0; i < n; i++)
            r[i] = x[i & am] * y[i & bm];
        break;
    case OP_DIV:
    case OP_MOD:
        for (uint32_t i = 0; i < n; i++) {
            double d = y[i & bm];
            if (d == 0) {
                v[i] = 0;
                r[i] = 0;
            } else {
                r[i] = op == OP_DIV ? x[i & am] / d : fmod(x[i & am], d);
            }
        }
        break;
    default:
        break;
    }
}

/* DATE +/- INT days (Spark's date_add / date_sub). */
static void arith_date(expr_op op, const column *a, uint32_t am, const column *b, uint32_t bm,
                       uint32_t n, column *out)
{
    bool date_left = a->type == TYPE_DATE;
    and_valid(out->valid, a, am, b, bm, n);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t d = (uint32_t)(date_left ? a->data.i32[i & am] : b->data.i32[i & bm]);
        uint32_t k = (uint32_t)(date_left ? b->data.i32[i & bm] : a->data.i32[i & am]);
        out->data.i32[i] = (int32_t)(op == OP_SUB ? d - k : d + k);
    }
}

/* ---- comparison ---------------------------------------------------------- */

/* Result of op for a three-way comparison c in {-1, 0, 1}, indexed c + 1. */
static const uint8_t cmp_table[][3] = {
    [OP_EQ] = {0, 1, 0}, [OP_NE] = {1, 0, 1}, [OP_LT] = {1, 0, 0},
    [OP_LE] = {1, 1, 0}, [OP_GT] = {0, 0, 1}, [OP_GE] = {0, 1, 1},
    [OP_EQ_NULLSAFE] = {0, 1, 0},
};

static inline int cmp_f64(double x, double y)
{
    /* Spark: NaN = NaN, and NaN is greater than any other value. */
    if (isnan(x) || isnan(y))
        return (int)isnan(x) - (int)isnan(y);
    return (x > y) - (x < y);
}

static inline int cmp_str(strv x, strv y)
{
    uint32_t m = x.len < y.len ? x.len : y.len;
    int c = m ? memcmp(x.ptr, y.ptr, m) : 0;
    if (c)
        return c < 0 ? -1 : 1;
    return (x.len > y.len) - (x.len < y.len);
}

#define CMP_LOOP(EXPR)                                                                         \
    for (uint32_t i = 0; i < n; i++) {                                                         \
        uint32_t ia = i & am, ib = i & bm;                                                     \
        int c = (EXPR);                                                                        \
        res[i] = t[c + 1];                                                                     \
    }

/* Compares a and b (same type) row by row into res (0/1) and valid. */
static void compare_cols(expr_op op, const column *a, uint32_t am, const column *b, uint32_t bm,
                         uint32_t n, uint8_t *res, uint8_t *valid)
{
    const uint8_t *t = cmp_table[op];
    switch (a->type) {
    case TYPE_BOOLEAN:
        CMP_LOOP((int)a->data.b[ia] - (int)b->data.b[ib]);
        break;
    case TYPE_INT:
    case TYPE_DATE:
        CMP_LOOP((a->data.i32[ia] > b->data.i32[ib]) - (a->data.i32[ia] < b->data.i32[ib]));
        break;
    case TYPE_BIGINT:
    case TYPE_TIMESTAMP:
        CMP_LOOP((a->data.i64[ia] > b->data.i64[ib]) - (a->data.i64[ia] < b->data.i64[ib]));
        break;
    case TYPE_DOUBLE:
        CMP_LOOP(cmp_f64(a->data.f64[ia], b->data.f64[ib]));
        break;
    case TYPE_STRING:
        if (op == OP_EQ || op == OP_NE || op == OP_EQ_NULLSAFE) {
            uint8_t eq = op != OP_NE;
            for (uint32_t i = 0; i < n; i++) {
                strv x = a->data.s[i & am], y = b->data.s[i & bm];
                bool same = x.len == y.len;
                if (same && x.ptr != y.ptr) {
                    if (x.len <= 8) {
                        for (uint32_t j = 0; j < x.len && same; j++)
                            same = x.ptr[j] == y.ptr[j];
                    } else {
                        same = memcmp(x.ptr, y.ptr, x.len) == 0;
                    }
                }
                res[i] = same ? eq : !eq;
            }
        } else {
            CMP_LOOP(cmp_str(a->data.s[ia], b->data.s[ib]));
        }
        break;
    case TYPE_WINDOW:
        CMP_LOOP(a->data.w[ia].start != b->data.w[ib].start
                     ? (a->data.w[ia].start > b->data.w[ib].start ? 1 : -1)
                     : (a->data.w[ia].end > b->data.w[ib].end) -
                           (a->data.w[ia].end < b->data.w[ib].end));
        break;
    default:
        memset(res, 0, n);
        break;
    }
    if (op == OP_EQ_NULLSAFE) {
        for (uint32_t i = 0; i < n; i++) {
            uint8_t va = a->valid[i & am], vb = b->valid[i & bm];
            if (!va || !vb)
                res[i] = !va && !vb;
            valid[i] = 1;
        }
    } else {
        for (uint32_t i = 0; i < n; i++)
            valid[i] = a->valid[i & am] & b->valid[i & bm];
    }
}

/* ---- boolean logic -------------------------------------------------------- */

static void logic_and_or(bool is_and, const column *a, uint32_t am, const column *b, uint32_t bm,
                         uint32_t n, column *out)
{
    for (uint32_t i = 0; i < n; i++) {
        uint8_t va = a->valid[i & am], vb = b->valid[i & bm];
        uint8_t x = va && a->data.b[i & am], y = vb && b->data.b[i & bm];
        if (is_and) {
            bool known_false = (va && !x) || (vb && !y);
            out->valid[i] = known_false || (va && vb);
            out->data.b[i] = !known_false && va && vb;
        } else {
            bool known_true = x || y;
            out->valid[i] = known_true || (va && vb);
            out->data.b[i] = known_true;
        }
    }
}

/* ---- string concatenation ------------------------------------------------ */

static void concat2(const column *a, uint32_t am, const column *b, uint32_t bm, uint32_t n,
                    column *out, arena *ar)
{
    size_t total = 0;
    for (uint32_t i = 0; i < n; i++)
        if (a->valid[i & am] && b->valid[i & bm])
            total += (size_t)a->data.s[i & am].len + b->data.s[i & bm].len;
    char *p = arena_alloc(ar, total + 1);
    for (uint32_t i = 0; i < n; i++) {
        out->valid[i] = a->valid[i & am] & b->valid[i & bm];
        if (!out->valid[i]) {
            out->data.s[i] = (strv){NULL, 0};
            continue;
        }
        strv x = a->data.s[i & am], y = b->data.s[i & bm];
        if (x.len)
            memcpy(p, x.ptr, x.len);
        if (y.len)
            memcpy(p + x.len, y.ptr, y.len);
        out->data.s[i] = (strv){p, x.len + y.len};
        p += x.len + y.len;
    }
}

static int eval_binary(const expr *e, const batch *in, func_ctx *ctx, column *out,
                       eddy_error *err)
{
    uint32_t n = in->nrows, am, bm;
    column a, b;
    int ao, bo, rc;
    if (e->nargs < 2)
        return err_set(err, EDDY_RUNTIME, "operator %s needs two operands", op_text(e->op));
    if ((rc = eval_operand(e->args[0], in, ctx, &a, &ao, &am, err)) < 0)
        return rc;
    if ((rc = eval_operand(e->args[1], in, ctx, &b, &bo, &bm, err)) < 0) {
        release(&a, ao);
        return rc;
    }
    type_id lt, rt, ret;
    char msg[160];
    if (expr_binary_types(e->op, a.type, b.type, &lt, &rt, &ret, msg, sizeof msg) < 0) {
        release(&a, ao);
        release(&b, bo);
        return err_set(err, EDDY_RUNTIME, "%s", msg);
    }
    coerce(&a, &ao, lt, mask_rows(am, n), ctx);
    coerce(&b, &bo, rt, mask_rows(bm, n), ctx);
    column_init(out, ret, n);
    switch (e->op) {
    case OP_ADD:
    case OP_SUB:
    case OP_MUL:
    case OP_DIV:
    case OP_MOD:
        if (ret == TYPE_DATE)
            arith_date(e->op, &a, am, &b, bm, n, out);
        else if (ret == TYPE_INT)
            arith_i32(e->op, &a, am, &b, bm, n, out);
        else if (ret == TYPE_BIGINT)
            arith_i64(e->op, &a, am, &b, bm, n, out);
        else
            arith_f64(e->op, &a, am, &b, bm, n, out);
        break;
    case OP_AND:
    case OP_OR:
        logic_and_or(e->op == OP_AND, &a, am, &b, bm, n, out);
        break;
    case OP_CONCAT:
        concat2(&a, am, &b, bm, n, out, ctx->arena);
        break;
    default:
        compare_cols(e->op, &a, am, &b, bm, n, out->data.b, out->valid);
        break;
    }
    release(&a, ao);
    release(&b, bo);
    return 0;
}

static int eval_unary(const expr *e, const batch *in, func_ctx *ctx, column *out,
                      eddy_error *err)
{
    uint32_t n = in->nrows;
    column a;
    int ao, rc;
    if ((rc = eval(e->args[0], in, ctx, &a, &ao, err)) < 0)
        return rc;
    if (e->op == OP_NOT) {
        if (a.type != TYPE_BOOLEAN && a.type != TYPE_NULL && a.type != TYPE_STRING) {
            release(&a, ao);
            return err_set(err, EDDY_RUNTIME, "NOT expects a boolean, not %s", type_name(a.type));
        }
        coerce(&a, &ao, TYPE_BOOLEAN, n, ctx);
        column_init(out, TYPE_BOOLEAN, n);
        memcpy(out->valid, a.valid, n);
        for (uint32_t i = 0; i < n; i++)
            out->data.b[i] = !a.data.b[i];
        release(&a, ao);
        return 0;
    }
    if (e->op != OP_NEG) {
        release(&a, ao);
        return err_set(err, EDDY_RUNTIME, "unknown unary operator");
    }
    if (a.type == TYPE_STRING || a.type == TYPE_NULL)
        coerce(&a, &ao, TYPE_DOUBLE, n, ctx);
    if (!type_is_numeric(a.type)) {
        type_id t = a.type;
        release(&a, ao);
        return err_set(err, EDDY_RUNTIME, "cannot negate a value of type %s", type_name(t));
    }
    column_init(out, a.type, n);
    memcpy(out->valid, a.valid, n);
    for (uint32_t i = 0; i < n; i++) {
        switch (a.type) {
        case TYPE_INT: out->data.i32[i] = (int32_t)(0u - (uint32_t)a.data.i32[i]); break;
        case TYPE_BIGINT: out->data.i64[i] = (int64_t)(0u - (uint64_t)a.data.i64[i]); break;
        default: out->data.f64[i] = -a.data.f64[i]; break;
        }
    }
    release(&a, ao);
    return 0;
}

/* ---- IN / BETWEEN --------------------------------------------------------- */

static int eval_in(const expr *e, const batch *in, func_ctx *ctx, column *out, eddy_error *err)
{
    uint32_t n = in->nrows;
    column x;
    int xo, rc;
    if ((rc = eval(e->args[0], in, ctx, &x, &xo, err)) < 0)
        return rc;
    uint8_t *found = xcalloc(n ? n : 1, 1);
    uint8_t *saw_null = xcalloc(n ? n : 1, 1);
    uint8_t *res = xmalloc(n ? n : 1);
    uint8_t *valid = xmalloc(n ? n : 1);
    column xc = {0}; /* x cast to the last item's comparison type */
    int have_xc = 0;
    for (int k = 1; k < e->nargs && rc == 0; k++) {
        column c;
        int co;
        uint32_t cm;
        if ((rc = eval_operand(e->args[k], in, ctx, &c, &co, &cm, err)) < 0)
            break;
        type_id lt, rt, ret;
        char msg[160];
        if (expr_binary_types(OP_EQ, x.type, c.type, &lt, &rt, &ret, msg, sizeof msg) < 0) {
            rc = err_set(err, EDDY_RUNTIME, "IN: %s", msg);
            release(&c, co);
            break;
        }
        const column *xv = &x;
        if (lt != x.type) {
            if (!have_xc || xc.type != lt) {
                if (have_xc)
                    column_free(&xc);
                column_init(&xc, lt, n);
                cast_column(&x, n, lt, &xc, ctx);
                have_xc = 1;
            }
            xv = &xc;
        }
        coerce(&c, &co, rt, mask_rows(cm, n), ctx);
        compare_cols(OP_EQ, xv, ALL_ROWS, &c, cm, n, res, valid);
        for (uint32_t i = 0; i < n; i++) {
            found[i] |= valid[i] & res[i];
            saw_null[i] |= !valid[i];
        }
        release(&c, co);
    }
    if (rc == 0) {
        column_init(out, TYPE_BOOLEAN, n);
        for (uint32_t i = 0; i < n; i++) {
            out->valid[i] = x.valid[i] && (found[i] || !saw_null[i]);
            out->data.b[i] = (uint8_t)(found[i] ^ e->negated);
        }
    }
    if (have_xc)
        column_free(&xc);
    free(found);
    free(saw_null);
    free(res);
    free(valid);
    release(&x, xo);
    return rc;
}

/* x BETWEEN lo AND hi is lo <= x AND x <= hi with three-valued AND. */
static int eval_between(const expr *e, const batch *in, func_ctx *ctx, column *out,
                        eddy_error *err)
{
    uint32_t n = in->nrows;
    if (e->nargs < 3)
        return err_set(err, EDDY_RUNTIME, "BETWEEN needs three operands");
    column x, lo, hi;
    int xo, loo, hio, rc;
    uint32_t lom, him;
    if ((rc = eval(e->args[0], in, ctx, &x, &xo, err)) < 0)
        return rc;
    if ((rc = eval_operand(e->args[1], in, ctx, &lo, &loo, &lom, err)) < 0) {
        release(&x, xo);
        return rc;
    }
    if ((rc = eval_operand(e->args[2], in, ctx, &hi, &hio, &him, err)) < 0) {
        release(&x, xo);
        release(&lo, loo);
        return rc;
    }
    column ge, le;
    column_init(&ge, TYPE_BOOLEAN, n);
    column_init(&le, TYPE_BOOLEAN, n);
    column *bounds[2] = {&lo, &hi};
    int *bown[2] = {&loo, &hio};
    uint32_t bmask[2] = {lom, him};
    column *res[2] = {&ge, &le};
    for (int k = 0; k < 2 && rc == 0; k++) {
        type_id lt, rt, ret;
        char msg[160];
        if (expr_binary_types(OP_LE, x.type, bounds[k]->type, &lt, &rt, &ret, msg,
                              sizeof msg) < 0) {
            rc = err_set(err, EDDY_RUNTIME, "BETWEEN: %s", msg);
            break;
        }
        column xc = x;
        int xco = 0;
        coerce(&xc, &xco, lt, n, ctx);
        coerce(bounds[k], bown[k], rt, mask_rows(bmask[k], n), ctx);
        compare_cols(k == 0 ? OP_GE : OP_LE, &xc, ALL_ROWS, bounds[k], bmask[k], n,
                     res[k]->data.b, res[k]->valid);
        release(&xc, xco);
    }
    if (rc == 0) {
        column_init(out, TYPE_BOOLEAN, n);
        logic_and_or(true, &ge, ALL_ROWS, &le, ALL_ROWS, n, out);
        if (e->negated)
            for (uint32_t i = 0; i < n; i++)
                out->data.b[i] = !out->data.b[i];
    }
    column_free(&ge);
    column_free(&le);
    release(&x, xo);
    release(&lo, loo);
    release(&hi, hio);
    return rc;
}

/* ---- LIKE ------------------------------------------------------------------ */

enum like_kind { LIKE_EXACT, LIKE_PREFIX, LIKE_SUFFIX, LIKE_CONTAINS, LIKE_PREFIX_SUFFIX,
                 LIKE_GENERAL };

#define LIKE_ANY1 (-1) /* '_' token */

/* A compiled LIKE pattern: the text between unescaped '%' signs as segments
 * of byte tokens (0..255) or LIKE_ANY1; the first segment is anchored at the
 * start, the last at the end. */
typedef struct like_pat {
    enum like_kind kind;
    int nseg;
    int16_t **seg;
    uint32_t *seglen;
    bool *seg_has_any;
    char **lit; /* segment bytes when the segment has no '_' */
} like_pat;

static void like_free(like_pat *p)
{
    for (int i = 0; i < p->nseg; i++) {
        free(p->seg[i]);
        free(p->lit[i]);
    }
    free(p->seg);
    free(p->seglen);
    free(p->seg_has_any);
    free(p->lit);
    memset(p, 0, sizeof *p);
}

static int like_compile(const char *s, uint32_t n, like_pat *p, eddy_error *err)
{
    memset(p, 0, sizeof *p);
    int nseg = 1;
    for (uint32_t i = 0; i < n; i++) {
        if (s[i] == '\\') {
            if (i + 1 == n)
                return err_set(err, EDDY_RUNTIME,
                               "the pattern '%.*s' is invalid: it is not allowed to end with "
                               "the escape character",
                               (int)n, s);
            char c = s[i + 1];
            if (c != '%' && c != '_' && c != '\\')
                return err_set(err, EDDY_RUNTIME,
                               "the pattern '%.*s' is invalid: the escape character is not "
                               "allowed to precede '%c'",
                               (int)n, s, c);
            i++;
        } else if (s[i] == '%') {
            nseg++;
        }
    }
    p->nseg = nseg;
    p->seg = xcalloc((size_t)nseg, sizeof *p->seg);
    p->seglen = xcalloc((size_t)nseg, sizeof *p->seglen);
    p->seg_has_any = xcalloc((size_t)nseg, sizeof *p->seg_has_any);
    p->lit = xcalloc((size_t)nseg, sizeof *p->lit);
    for (int k = 0; k < nseg; k++) {
        p->seg[k] = xmalloc((n ? n : 1) * sizeof(int16_t));
        p->lit[k] = xmalloc(n ? n : 1);
    }
    int k = 0;
    for (uint32_t i = 0; i < n; i++) {
        int16_t tok;
        if (s[i] == '\\') {
            tok = (unsigned char)s[++i];
        } else if (s[i] == '%') {
            k++;
            continue;
        } else if (s[i] == '_') {
            tok = LIKE_ANY1;
            p->seg_has_any[k] = true;
        } else {
            tok = (unsigned char)s[i];
        }
        p->lit[k][p->seglen[k]] = (char)tok;
        p->seg[k][p->seglen[k]++] = tok;
    }
    bool any = false;
    for (k = 0; k < nseg; k++)
        any |= p->seg_has_any[k];
    if (any)
        p->kind = LIKE_GENERAL;
    else if (nseg == 1)
        p->kind = LIKE_EXACT;
    else if (nseg == 2)
        p->kind = p->seglen[1] == 0 ? LIKE_PREFIX : p->seglen[0] == 0 ? LIKE_SUFFIX
                                                                       : LIKE_PREFIX_SUFFIX;
    else if (nseg == 3 && p->seglen[0] == 0 && p->seglen[2] == 0)
        p->kind = LIKE_CONTAINS;
    else
        p->kind = LIKE_GENERAL;
    return 0;
}

static inline uint32_t utf8_step(unsigned char c)
{
    return c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
}

/* Matches segment k at s[pos]; returns the end offset or -1. */
static int64_t seg_match_at(const like_pat *p, int k, const char *s, uint32_t n, uint32_t pos)
{
    const int16_t *t = p->seg[k];
    for (uint32_t j = 0; j < p->seglen[k]; j++) {
        if (pos >= n)
            return -1;
        if (t[j] == LIKE_ANY1) {
            pos += utf8_step((unsigned char)s[pos]);
            if (pos > n)
                pos = n;
        } else if ((unsigned char)s[pos] != t[j]) {
            return -1;
        } else {
            pos++;
        }
    }
    return pos;
}

/* Leftmost match of segment k starting at or after pos; end offset or -1. */
static int64_t seg_find(const like_pat *p, int k, const char *s, uint32_t n, uint32_t pos)
{
    if (p->seglen[k] == 0)
        return pos;
    if (!p->seg_has_any[k]) {
        const char *hit = memmem(s + pos, n - pos, p->lit[k], p->seglen[k]);
        return hit ? (int64_t)(hit - s) + p->seglen[k] : -1;
    }
    for (uint32_t q = pos; q < n; q += utf8_step((unsigned char)s[q])) {
        int64_t e = seg_match_at(p, k, s, n, q);
        if (e >= 0)
            return e;
    }
    return -1;
}

static bool like_match(const like_pat *p, const char *s, uint32_t n)
{
    const char *a = p->lit[0];
    uint32_t al = p->seglen[0];
    switch (p->kind) {
    case LIKE_EXACT:
        return n == al && (al == 0 || memcmp(s, a, al) == 0);
    case LIKE_PREFIX:
        return n >= al && (al == 0 || memcmp(s, a, al) == 0);
    case LIKE_SUFFIX: {
        uint32_t bl = p->seglen[1];
        return n >= bl && (bl == 0 || memcmp(s + n - bl, p->lit[1], bl) == 0);
    }
    case LIKE_PREFIX_SUFFIX: {
        uint32_t bl = p->seglen[1];
        return n >= al + bl && memcmp(s, a, al) == 0 && memcmp(s + n - bl, p->lit[1], bl) == 0;
    }
    case LIKE_CONTAINS:
        return p->seglen[1] == 0 || memmem(s, n, p->lit[1], p->seglen[1]) != NULL;
    default:
        break;
    }
    if (p->nseg == 1)
        return seg_match_at(p, 0, s, n, 0) == n;
    int64_t pos = seg_match_at(p, 0, s, n, 0);
    if (pos < 0)
        return false;
    for (int k = 1; k < p->nseg - 1; k++) {
        pos = seg_find(p, k, s, n, (uint32_t)pos);
        if (pos < 0)
            return false;
    }
    int last = p->nseg - 1;
    if (!p->seg_has_any[last]) {
        uint32_t l = p->seglen[last];
        return n - (uint32_t)pos >= l && (l == 0 || memcmp(s + n - l, p->lit[last], l) == 0);
    }
    for (uint32_t q = (uint32_t)pos; q < n; q += utf8_step((unsigned char)s[q]))
        if (seg_match_at(p, last, s, n, q) == n)
            return true;
    return false;
}

static int eval_like(const expr *e, const batch *in, func_ctx *ctx, column *out,
                     eddy_error *err)
{
    uint32_t n = in->nrows, pm;
    column s, pat;
    int so, po, rc;
    if (e->nargs < 2)
        return err_set(err, EDDY_RUNTIME, "LIKE needs two operands");
    if ((rc = eval(e->args[0], in, ctx, &s, &so, err)) < 0)
        return rc;
    if ((rc = eval_operand(e->args[1], in, ctx, &pat, &po, &pm, err)) < 0) {
        release(&s, so);
        return rc;
    }
    coerce(&s, &so, TYPE_STRING, n, ctx);
    coerce(&pat, &po, TYPE_STRING, mask_rows(pm, n), ctx);
    column_init(out, TYPE_BOOLEAN, n);
    like_pat lp;
    bool compiled = false;
    strv cur = {NULL, 0};
    for (uint32_t i = 0; i < n; i++) {
        out->valid[i] = s.valid[i] & pat.valid[i & pm];
        out->data.b[i] = 0;
        if (!out->valid[i])
            continue;
        strv ps = pat.data.s[i & pm];
        if (!compiled || ps.len != cur.len || (ps.len && memcmp(ps.ptr, cur.ptr, ps.len) != 0)) {
            if (compiled)
                like_free(&lp);
            compiled = false;
            if ((rc = like_compile(ps.ptr, ps.len, &lp, err)) < 0)
                break;
            compiled = true;
            cur = ps;
        }
        out->data.b[i] = (uint8_t)(like_match(&lp, s.data.s[i].ptr, s.data.s[i].len) ^
                                   e->negated);
    }
    if (compiled)
        like_free(&lp);
    release(&s, so);
    release(&pat, po);
    if (rc < 0)
        column_free(out);
    return rc;
}

/* ---- CASE ------------------------------------------------------------------ */

static int eval_case(const expr *e, const batch *in, func_ctx *ctx, column *out,
                     eddy_error *err)
{
    uint32_t n = in->nrows;
    type_id t = e->type;
    if (t == TYPE_NULL) {
        for (int k = 1; k < e->nargs && t == TYPE_NULL; k += 2)
            t = e->args[k]->type;
        if (t == TYPE_NULL && e->else_expr)
            t = e->else_expr->type;
    }
    column_init(out, t, n);
    memset(out->valid, 0, n);
    memset(out->data.raw, 0, (size_t)n * type_width(t));
    uint8_t *done = xcalloc(n ? n : 1, 1);
    uint32_t left = n;
    int rc = 0;
    for (int k = 0; k + 1 < e->nargs && left > 0; k += 2) {
        column c, v;
        int co, vo;
        uint32_t vm;
        if ((rc = eval(e->args[k], in, ctx, &c, &co, err)) < 0)
            break;
        coerce(&c, &co, TYPE_BOOLEAN, n, ctx);
        uint32_t hits = 0;
        for (uint32_t i = 0; i < n; i++)
            hits += !done[i] && c.valid[i] && c.data.b[i];
        if (hits) {
            if ((rc = eval_operand(e->args[k + 1], in, ctx, &v, &vo, &vm, err)) < 0) {
                release(&c, co);
                break;
            }
            coerce(&v, &vo, t, mask_rows(vm, n), ctx);
            for (uint32_t i = 0; i < n; i++) {
                if (!done[i] && c.valid[i] && c.data.b[i]) {
                    copy_row(out, i, &v, i & vm);
                    done[i] = 1;
                }
            }
            left -= hits;
            release(&v, vo);
        }
        release(&c, co);
    }
    if (rc == 0 && left > 0 && e->else_expr) {
        column v;
        int vo;
        uint32_t vm;
        if ((rc = eval_operand(e->else_expr, in, ctx, &v, &vo, &vm, err)) == 0) {
            coerce(&v, &vo, t, mask_rows(vm, n), ctx);
            for (uint32_t i = 0; i < n; i++)
                if (!done[i])
                    copy_row(out, i, &v, i & vm);
            release(&v, vo);
        }
    }
    free(done);
    if (rc < 0)
        column_free(out);
    return rc;
}

/* ---- function calls and fields ------------------------------------------- */

static int eval_call(const expr *e, const batch *in, func_ctx *ctx, column *out,
                     eddy_error *err)
{
    const scalar_func *fn = e->fn;
    uint32_t n = in->nrows;
    if (!fn)
        return err_set(err, EDDY_RUNTIME, "function %s cannot be evaluated here",
                       e->name ? e->name : "?");
    int na = e->nargs, rc = 0, done = 0;
    column *args = xcalloc(na ? (size_t)na : 1, sizeof(column));
    int *owned = xcalloc(na ? (size_t)na : 1, sizeof(int));
    type_id *argt = xcalloc(na ? (size_t)na : 1, sizeof(type_id));
    type_id *want = xcalloc(na ? (size_t)na : 1, sizeof(type_id));
    for (; done < na; done++) {
        if ((rc = eval(e->args[done], in, ctx, &args[done], &owned[done], err)) < 0)
            break;
        argt[done] = want[done] = args[done].type;
    }
    if (rc == 0) {
        type_id ret = e->type;
        char msg[200];
        msg[0] = 0;
        if (fn->resolve && fn->resolve(argt, na, want, &ret, msg, sizeof msg) < 0) {
            rc = err_set(err, EDDY_RUNTIME, "%s: %s", fn->name, msg);
        } else {
            for (int k = 0; k < na; k++)
                coerce(&args[k], &owned[k], want[k], n, ctx);
            column_init(out, ret, n);
            if ((rc = fn->eval(args, na, n, out, ctx, err)) < 0)
                column_free(out);
        }
    }
    for (int k = 0; k < done; k++)
        release(&args[k], owned[k]);
    free(args);
    free(owned);
    free(argt);
    free(want);
    return rc;
}

static int eval_field(const expr *e, const batch *in, func_ctx *ctx, column *out,
                      eddy_error *err)
{
    uint32_t n = in->nrows;
    column w;
    int wo, rc;
    if (e->nargs < 1)
        return err_set(err, EDDY_RUNTIME, "field access without a struct");
    if ((rc = eval(e->args[0], in, ctx, &w, &wo, err)) < 0)
        return rc;
    bool is_start = e->name && strcasecmp(e->name, "start") == 0;
    bool is_end = e->name && strcasecmp(e->name, "end") == 0;
    if (w.type != TYPE_WINDOW || (!is_start && !is_end)) {
        type_id t = w.type;
        release(&w, wo);
        return err_set(err, EDDY_RUNTIME, "no field %s in %s", e->name ? e->name : "?",
                       type_name(t));
    }
    column_init(out, TYPE_TIMESTAMP, n);
    memcpy(out->valid, w.valid, n);
    for (uint32_t i = 0; i < n; i++)
        out->data.i64[i] = is_start ? w.data.w[i].start : w.data.w[i].end;
    release(&w, wo);
    return 0;
}

/* ---- dispatch ---------------------------------------------------------------- */

static int eval(const expr *e, const batch *in, func_ctx *ctx, column *out, int *owned,
                eddy_error *err)
{
    uint32_t n = in->nrows;
    int rc = 0;
    memset(out, 0, sizeof *out);
    *owned = 1;
    switch (e->kind) {
    case EXPR_LITERAL: {
        column one;
        literal_row(&e->lit, e->type, &one, ctx);
        broadcast(&one, n, out);
        column_free(&one);
        break;
    }
    case EXPR_COLUMN:
    case EXPR_AGG_REF:
        if (e->column < 0 || (uint32_t)e->column >= in->ncols)
            return err_set(err, EDDY_RUNTIME, "column index %d out of range (%u columns)",
                           e->column, in->ncols);
        *out = in->cols[e->column];
        *owned = 0;
        break;
    case EXPR_UNARY: rc = eval_unary(e, in, ctx, out, err); break;
    case EXPR_BINARY: rc = eval_binary(e, in, ctx, out, err); break;
    case EXPR_IS_NULL: {
        column a;
        int ao;
        if ((rc = eval(e->args[0], in, ctx, &a, &ao, err)) < 0)
            break;
        column_init(out, TYPE_BOOLEAN, n);
        memset(out->valid, 1, n);
        for (uint32_t i = 0; i < n; i++)
            out->data.b[i] = (uint8_t)(!a.valid[i] ^ e->negated);
        release(&a, ao);
        break;
    }
    case EXPR_IN: rc = eval_in(e, in, ctx, out, err); break;
    case EXPR_BETWEEN: rc = eval_between(e, in, ctx, out, err); break;
    case EXPR_LIKE: rc = eval_like(e, in, ctx, out, err); break;
    case EXPR_CASE: rc = eval_case(e, in, ctx, out, err); break;
    case EXPR_CAST: {
        column a;
        int ao;
        if ((rc = eval(e->args[0], in, ctx, &a, &ao, err)) < 0)
            break;
        if (!cast_allowed(a.type, e->cast_to)) {
            type_id t = a.type;
            release(&a, ao);
            return err_set(err, EDDY_RUNTIME, "cannot cast %s to %s", type_name(t),
                           type_name(e->cast_to));
        }
        column_init(out, e->cast_to, n);
        cast_column(&a, n, e->cast_to, out, ctx);
        release(&a, ao);
        break;
    }
    case EXPR_CALL: rc = eval_call(e, in, ctx, out, err); break;
    case EXPR_FIELD: rc = eval_field(e, in, ctx, out, err); break;
    case EXPR_IDENT:
    case EXPR_STAR:
    default:
        return err_set(err, EDDY_RUNTIME, "unresolved expression %s%s%s",
                       e->qualifier ? e->qualifier : "", e->qualifier ? "." : "",
                       e->name ? e->name : "*");
    }
    if (rc < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    if (e->type != TYPE_NULL && out->type != e->type) {
        if (!cast_allowed(out->type, e->type)) {
            type_id t = out->type;
            release(out, *owned);
            memset(out, 0, sizeof *out);
            return err_set(err, EDDY_RUNTIME, "expression of type %s where %s was expected",
                           type_name(t), type_name(e->type));
        }
        coerce(out, owned, e->type, n, ctx);
    }
    return 0;
}

static func_ctx context_for(const batch *in, const func_ctx *ctx)
{
    func_ctx c = {0};
    if (ctx)
        c = *ctx;
    if (!c.arena)
        c.arena = in->arena;
    return c;
}

int expr_eval_view(const expr *e, const batch *in, func_ctx *ctx, column *out, int *owned,
                   eddy_error *err)
{
    func_ctx c = context_for(in, ctx);
    return eval(e, in, &c, out, owned, err);
}

int expr_eval(const expr *e, const batch *in, func_ctx *ctx, column *out, eddy_error *err)
{
    func_ctx c = context_for(in, ctx);
    column v;
    int owned, rc;
    if ((rc = eval(e, in, &c, &v, &owned, err)) < 0) {
        memset(out, 0, sizeof *out);
        return rc;
    }
    if (owned) {
        *out = v;
        return 0;
    }
    uint32_t n = in->nrows;
    column_init(out, v.type, n);
    memcpy(out->valid, v.valid, n);
    memcpy(out->data.raw, v.data.raw, (size_t)n * type_width(v.type));
    return 0;
}

int expr_eval_filter(const expr *e, const batch *in, func_ctx *ctx, uint32_t *sel,
                     uint32_t *nsel, eddy_error *err)
{
    func_ctx c = context_for(in, ctx);
    column v;
    int owned, rc;
    *nsel = 0;
    if ((rc = eval(e, in, &c, &v, &owned, err)) < 0)
        return rc;
    if (v.type != TYPE_BOOLEAN && v.type != TYPE_NULL) {
        type_id t = v.type;
        release(&v, owned);
        return err_set(err, EDDY_RUNTIME, "filter condition is %s, not boolean", type_name(t));
    }
    uint32_t k = 0, n = in->nrows;
    if (v.type == TYPE_BOOLEAN) {
        for (uint32_t i = 0; i < n; i++) {
            sel[k] = i;
            k += v.valid[i] & (v.data.b[i] != 0);
        }
    }
    *nsel = k;
    release(&v, owned);
    return 0;
}
