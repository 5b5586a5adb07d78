/* CSV records straight into column vectors, with Spark 3.5's CSV data source
 * semantics for a whole file read at once (quoted fields may span lines).
 * Unquoted fields are found with a vector scan; quoted ones take a careful
 * path that unescapes into the batch arena only when it has to. */
#include "io/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/err.h"
#include "core/mem.h"

/* First byte of [p, end) equal to a or b, or end. */
static inline const char *scan2(const char *p, const char *end, char a, char b)
{
#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        int m = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)));
        if (m)
            return p + __builtin_ctz((unsigned)m);
        p += 16;
    }
#endif
    while (p < end && *p != a && *p != b)
        p++;
    return p;
}

/* First byte of [p, end) equal to a, b or c, or end. */
static inline const char *scan3(const char *p, const char *end, char a, char b, char c)
{
#ifdef __SSE2__
    const __m128i va = _mm_set1_epi8(a), vb = _mm_set1_epi8(b), vc = _mm_set1_epi8(c);
    while (end - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        __m128i e = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, va), _mm_cmpeq_epi8(x, vb)),
                                 _mm_cmpeq_epi8(x, vc));
        int m = _mm_movemask_epi8(e);
        if (m)
            return p + __builtin_ctz((unsigned)m);
        p += 16;
    }
#endif
    while (p < end && *p != a && *p != b && *p != c)
        p++;
    return p;
}

typedef struct csv_field {
    const char *ptr;
    size_t len;
    bool quoted;
} csv_field;

typedef struct csv_ctx {
    const read_options *o;
    const schema *s;
    batch *out;
    uint8_t *conv;     /* per column: 1 = convert (needed, or checked for
                          the corrupt-record column's sake) */
    const uint8_t *needed;
    int ndata;         /* fields a record maps to: every column but the
                          corrupt-record one */
    int cc;            /* corrupt-record column, or -1 */
    const char *nv;
    size_t nvlen;
    char sep, quote, escape;
    uint64_t line;     /* line of the parse position */
    /* The record being parsed. */
    bool malformed;
    int bad_field;     /* 0-based data field of the first failure, or -1 */
    const char *bad_ptr;
    size_t bad_len;
    const char *bad_reason; /* set for failures not tied to a conversion */
} csv_ctx;

static int field_column(const csv_ctx *cx, int k)
{
    if (k >= cx->ndata)
        return -1;
    return cx->cc >= 0 && k >= cx->cc ? k + 1 : k;
}

/* Bytes [cs, ce) of a quoted field's content with escapes resolved, followed
 * by the text [ts, te) that came after the closing quote. In the arena. */
static const char *unescape_quoted(csv_ctx *cx, const char *cs, const char *ce, const char *ts,
                                   const char *te, size_t *len)
{
    char *d = arena_alloc(cx->out->arena, (size_t)(ce - cs) + (size_t)(te - ts) + 1);
    const char q = cx->quote, esc = cx->escape ? cx->escape : q;
    size_t k = 0;
    for (const char *p = cs; p < ce; p++) {
        if (p + 1 < ce && ((*p == esc && esc != q && (p[1] == q || p[1] == esc)) ||
                           (*p == q && p[1] == q)))
            p++;
        d[k++] = *p;
    }
    memcpy(d + k, ts, (size_t)(te - ts));
    k += (size_t)(te - ts);
    *len = k;
    return d;
}

/* Parses the quoted field whose opening quote is at *pp. On return *pp is at
 * the separator, line end or end of input after it. The value is built only
 * when `want`. Returns -1 when the closing quote is missing. */
static int quoted_field(csv_ctx *cx, const char **pp, const char *end, bool want, csv_field *f)
{
    const char q = cx->quote, esc = cx->escape ? cx->escape : q;
    const char *cs = *pp + 1, *p = cs;
    bool unescape = false;
    for (;;) {
        p = scan3(p, end, q, esc, '\n');
        if (p == end)
            return -1;
        if (*p == '\n') {
            cx->line++;
            p++;
        } else if (*p == esc && esc != q) {
            if (p + 1 < end && (p[1] == q || p[1] == esc)) {
                unescape = true;
                p += 2;
            } else {
                p++;
            }
        } else if (p + 1 < end && p[1] == q) {
            unescape = true;
            p += 2;
        } else {
            break;
        }
    }
    const char *ce = p++;
    const char *tail = scan2(p, end, cx->sep, '\n');
    const char *te = tail;
    if (te > p && te[-1] == '\r' && (tail == end || *tail == '\n'))
        te--;
    *pp = tail;
    f->quoted = true;
    if (!want)
        return 0;
    if (!unescape && te == p) {
        f->ptr = cs;
        f->len = (size_t)(ce - cs);
    } else {
        f->ptr = unescape_quoted(cx, cs, ce, p, te, &f->len);
    }
    return 0;
}

/* Stores data field k of the current record into row `row`. */
static void store_field(csv_ctx *cx, int k, const csv_field *f, uint32_t row)
{
    int col = field_column(cx, k);
    if (col < 0 || !cx->conv[col])
        return;
    if ((f->len == 0 && !f->quoted) ||
        (f->len == cx->nvlen && (f->len == 0 || memcmp(f->ptr, cx->nv, cx->nvlen) == 0)))
        return;
    column *c = &cx->out->cols[col];
    if (field_convert(f->ptr, f->len, c, row, cx->o) == 0) {
        if (cx->needed && !cx->needed[col])
            c->valid[row] = 0;
        return;
    }
    if (!cx->malformed) {
        cx->bad_field = k;
        cx->bad_ptr = f->ptr;
        cx->bad_len = f->len;
    }
    cx->malformed = true;
}

/* Parses one record from *pp (converting into row `row` when `convert`),
 * leaving *pp after its line end and *rec_end at the end of its text (line
 * end excluded). Counts the newlines it consumes into cx->line. */
static void parse_record(csv_ctx *cx, const char **pp, const char *end, uint32_t row,
                         bool convert, const char **rec_end)
{
    const char *p = *pp;
    const char sep = cx->sep, quote = cx->quote;
    for (int k = 0;; k++) {
        csv_field f = {p, 0, false};
        int col = field_column(cx, k);
        bool want = convert && col >= 0 && cx->conv[col];
        if (quote && p < end && *p == quote) {
            if (quoted_field(cx, &p, end, want, &f) != 0) {
                if (convert && !cx->malformed) {
                    cx->bad_field = -1;
                    cx->bad_reason = "unterminated quoted field";
                }
                cx->malformed = true;
                p = end;
                *rec_end = end;
                if (*rec_end > *pp && (*rec_end)[-1] == '\n')
                    --*rec_end;
                if (*rec_end > *pp && (*rec_end)[-1] == '\r')
                    --*rec_end;
                break;
            }
        } else {
            const char *q = scan2(p, end, sep, '\n');
            const char *fe = q;
            if (fe > p && fe[-1] == '\r' && (q == end || *q == '\n'))
                fe--;
            f.len = (size_t)(fe - p);
            p = q;
        }
        if (want)
            store_field(cx, k, &f, row);
        if (p == end) {
            *rec_end = end;
            if (*rec_end > *pp && (*rec_end)[-1] == '\r')
                --*rec_end;
            break;
        }
        if (*p == sep && sep != '\n') {
            p++;
            continue;
        }
        *rec_end = p > *pp && p[-1] == '\r' ? p - 1 : p;
        p++;
        cx->line++;
        break;
    }
    *pp = p;
}

static uint32_t min_cap(const batch *b)
{
    uint32_t cap = UINT32_MAX;
    for (uint32_t i = 0; i < b->ncols; i++)
        if (b->cols[i].cap < cap)
            cap = b->cols[i].cap;
    return cap;
}

static void clear_nulls(batch *b, uint32_t row)
{
    for (uint32_t i = 0; i < b->ncols; i++) {
        column *c = &b->cols[i];
        if (!c->valid[row]) {
            size_t w = type_width(c->type);
            memset((char *)c->data.raw + (size_t)row * w, 0, w);
        }
    }
}

static int failfast(const csv_ctx *cx, const char *file_name, uint64_t line, eddy_error *err)
{
    if (cx->bad_field < 0)
        return err_set(err, EDDY_PARSE, "%s:%llu: malformed CSV record: %s", file_name,
                       (unsigned long long)line, cx->bad_reason);
    int col = field_column(cx, cx->bad_field);
    char text[80];
    reader_snippet(text, sizeof text, cx->bad_ptr, cx->bad_len);
    return err_set(err, EDDY_PARSE,
                   "%s:%llu: malformed CSV record: field %d (%s): cannot convert '%s' to %s",
                   file_name, (unsigned long long)line, cx->bad_field + 1,
                   cx->s->fields[col].name, text, type_name(cx->s->fields[col].type));
}

int csv_read(const read_options *o, const schema *s, const uint8_t *needed, const char *buf,
             size_t len, const char *file_name, parse_cursor *cur, batch *out,
             uint32_t max_rows, parse_stats *st, eddy_error *err)
{
    csv_ctx cx;
    memset(&cx, 0, sizeof cx);
    cx.o = o;
    cx.s = s;
    cx.out = out;
    cx.needed = needed;
    cx.sep = o->sep;
    cx.quote = o->quote;
    cx.escape = o->escape;
    cx.nv = o->null_value ? o->null_value : "";
    cx.nvlen = strlen(cx.nv);
    int ncols = (int)out->ncols < s->n ? (int)out->ncols : s->n;
    cx.cc = o->corrupt_column >= 0 && o->corrupt_column < ncols &&
                    s->fields[o->corrupt_column].type == TYPE_STRING
                ? o->corrupt_column
                : -1;
    cx.ndata = ncols - (cx.cc >= 0);
    /* As Spark, every field is checked when the corrupt-record column is
     * read, so that it reports all malformed records. */
    bool check_all = cx.cc >= 0 && (!needed || needed[cx.cc]);
    cx.conv = xmalloc((size_t)ncols + 1);
    for (int i = 0; i < ncols; i++)
        cx.conv[i] = i != cx.cc && (check_all || !needed || needed[i]);
    bool corrupt_out = check_all;

    if (cur->line == 0)
        cur->line = 1;
    const char *end = buf + len;
    uint32_t cap = min_cap(out);
    while (cur->pos < len && out->nrows < max_rows) {
        const char *p = buf + cur->pos;
        if ((unsigned char)*p <= ' ') {
            const char *l = p;
            while (l < end && *l != '\n' && (unsigned char)*l <= ' ')
                l++;
            if (l == end || *l == '\n') {
                cur->pos = (size_t)(l - buf) + (l < end);
                cur->line += l < end;
                continue;
            }
        }
        const char *rec = p, *rec_end = p;
        uint64_t rec_line = cur->line;
        cx.line = cur->line;
        if (o->header && !cur->header_done) {
            parse_record(&cx, &p, end, 0, false, &rec_end);
            cur->header_done = true;
            cur->pos = (size_t)(p - buf);
            cur->line = cx.line;
            continue;
        }
        uint32_t row = out->nrows;
        if (row >= cap) {
            batch_reserve(out, row + 1);
            cap = min_cap(out);
        }
        for (uint32_t i = 0; i < out->ncols; i++)
            out->cols[i].valid[row] = 0;
        cx.malformed = false;
        cx.bad_field = -1;
        cx.bad_reason = NULL;
        parse_record(&cx, &p, end, row, true, &rec_end);
        cur->pos = (size_t)(p - buf);
        cur->line = cx.line;
        if (cx.malformed) {
            st->malformed++;
            if (o->mode == PARSE_FAILFAST) {
                free(cx.conv);
                return failfast(&cx, file_name, rec_line, err);
            }
            if (o->mode == PARSE_DROPMALFORMED) {
                st->dropped++;
                continue;
            }
            if (corrupt_out && (size_t)(rec_end - rec) <= UINT32_MAX) {
                column *c = &out->cols[cx.cc];
                c->data.s[row].ptr = rec;
                c->data.s[row].len = (uint32_t)(rec_end - rec);
                c->valid[row] = 1;
            }
        }
        clear_nulls(out, row);
        out->nrows++;
        st->rows++;
    }
    free(cx.conv);
    return cur->pos < len ? 1 : 0;
}
