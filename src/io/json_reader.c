/* JSON lines straight into column vectors, with the conversions of Spark
 * 3.5's JSON data source (Jackson with Spark's default options: single quotes
 * and NaN/Infinity allowed, unquoted control characters and leading zeros
 * not). One object per line; keys are matched to the schema by name. */
#include "io/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "core/err.h"
#include "core/mem.h"

#define JSON_MAX_DEPTH 1000 /* Jackson's default nesting limit */

typedef struct json_ctx {
    const read_options *o;
    const schema *s;
    batch *out;
    const uint8_t *needed;
    size_t *name_len;
    int ncols;
    int cc;            /* corrupt-record column, or -1 */
    int hint;          /* column expected for the next key */
    uint32_t row;
    const char *line;  /* start of the current line, for error columns */
    /* The record being parsed. */
    bool malformed;
    const char *syntax;   /* syntax error text, or NULL */
    const char *syntax_at;
    int bad_col;          /* first value that did not convert, or -1 */
    const char *bad_ptr;
    size_t bad_len;
} json_ctx;

static inline bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static inline const char *skip_ws(const char *p, const char *e)
{
    while (p < e && is_ws(*p))
        p++;
    return p;
}

static const char *syntax_error(json_ctx *jx, const char *at, const char *what)
{
    if (!jx->syntax) {
        jx->syntax = what;
        jx->syntax_at = at;
    }
    jx->malformed = true;
    return NULL;
}

/* First byte of [p, e) that is the quote q, a backslash or a control
 * character, or e. */
static inline const char *scan_string(const char *p, const char *e, char q)
{
#ifdef __SSE2__
    const __m128i vq = _mm_set1_epi8(q), vb = _mm_set1_epi8('\\'), v1f = _mm_set1_epi8(0x1f);
    while (e - p >= 16) {
        __m128i x = _mm_loadu_si128((const __m128i *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, vq), _mm_cmpeq_epi8(x, vb)),
                                 _mm_cmpeq_epi8(_mm_max_epu8(x, v1f), v1f));
        int bits = _mm_movemask_epi8(m);
        if (bits)
            return p + __builtin_ctz((unsigned)bits);
        p += 16;
    }
#endif
    while (p < e && *p != q && *p != '\\' && (unsigned char)*p >= 0x20)
        p++;
    return p;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Checks the string whose opening quote is at p. Returns the byte after the
 * closing quote (NULL on a syntax error); *escaped tells whether the content
 * needs decoding. */
static const char *string_end(json_ctx *jx, const char *p, const char *e, bool *escaped)
{
    const char q = *p++;
    *escaped = false;
    for (;;) {
        p = scan_string(p, e, q);
        if (p == e)
            return syntax_error(jx, p, "unterminated string");
        if (*p == q)
            return p + 1;
        if (*p != '\\')
            return syntax_error(jx, p, "control character in string");
        *escaped = true;
        if (p + 1 == e)
            return syntax_error(jx, p, "unterminated string");
        switch (p[1]) {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't': case '\'':
            p += 2;
            break;
        case 'u':
            if (e - p < 6 || hex4(p + 2) < 0)
                return syntax_error(jx, p, "bad \\u escape");
            p += 6;
            break;
        default:
            return syntax_error(jx, p, "bad escape");
        }
    }
}

static size_t put_utf8(char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        d[0] = (char)(0xc0 | cp >> 6);
        d[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        d[0] = (char)(0xe0 | cp >> 12);
        d[1] = (char)(0x80 | (cp >> 6 & 0x3f));
        d[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    d[0] = (char)(0xf0 | cp >> 18);
    d[1] = (char)(0x80 | (cp >> 12 & 0x3f));
    d[2] = (char)(0x80 | (cp >> 6 & 0x3f));
    d[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* Decodes checked string content [s, e) into d, which needs e - s bytes (a
 * decoded string is never longer). Lone surrogates become U+FFFD. Returns
 * the decoded length. */
static size_t decode_string(const char *s, const char *e, char *d)
{
    size_t k = 0;
    while (s < e) {
        const char *b = memchr(s, '\\', (size_t)(e - s));
        if (!b)
            b = e;
        memcpy(d + k, s, (size_t)(b - s));
        k += (size_t)(b - s);
        s = b;
        if (s == e)
            break;
        char c = s[1];
        s += 2;
        switch (c) {
        case 'b': d[k++] = '\b'; break;
        case 'f': d[k++] = '\f'; break;
        case 'n': d[k++] = '\n'; break;
        case 'r': d[k++] = '\r'; break;
        case 't': d[k++] = '\t'; break;
        case 'u': {
            unsigned cp = (unsigned)hex4(s);
            s += 4;
            if (cp >= 0xd800 && cp <= 0xdbff) {
                int lo = e - s >= 6 && s[0] == '\\' && s[1] == 'u' ? hex4(s + 2) : -1;
                if (lo >= 0xdc00 && lo <= 0xdfff) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
                    s += 6;
                } else {
                    cp = 0xfffd;
                }
            } else if (cp >= 0xdc00 && cp <= 0xdfff) {
                cp = 0xfffd;
            }
            k += put_utf8(d + k, cp);
            break;
        }
        default: d[k++] = c; break;
        }
    }
    return k;
}

/* Number token at p: *kind 0 integer, 1 fraction/exponent, 2 NaN or
 * Infinity. Returns its end, or NULL. */
static const char *number_end(json_ctx *jx, const char *p, const char *e, int *kind)
{
    static const char *const special[] = {"NaN", "Infinity", "-Infinity", "+Infinity",
                                          "-INF", "+INF"};
    if (*p == 'N' || *p == 'I' || *p == '+' || (*p == '-' && e - p > 1 && p[1] == 'I')) {
        for (size_t i = 0; i < sizeof special / sizeof special[0]; i++) {
            size_t n = strlen(special[i]);
            if ((size_t)(e - p) >= n && memcmp(p, special[i], n) == 0) {
                *kind = 2;
                return p + n;
            }
        }
        return syntax_error(jx, p, "unexpected character");
    }
    *kind = 0;
    if (p < e && *p == '-')
        p++;
    if (p == e || *p < '0' || *p > '9')
        return syntax_error(jx, p, "unexpected character");
    if (*p == '0') {
        p++;
        if (p < e && *p >= '0' && *p <= '9')
            return syntax_error(jx, p, "leading zero in number");
    } else {
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < e && *p == '.') {
        *kind = 1;
        p++;
        const char *d = p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return syntax_error(jx, p, "bad number");
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        *kind = 1;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        const char *d = p;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
        if (p == d)
            return syntax_error(jx, p, "bad number");
    }
    return p;
}

static bool literal_at(const char *p, const char *e, const char *lit, size_t n)
{
    return (size_t)(e - p) >= n && memcmp(p, lit, n) == 0;
}

/* Checks the value at p (skipping it). Returns its end or NULL; *spaced
 * tells whether it holds whitespace outside strings. */
static const char *value_end(json_ctx *jx, const char *p, const char *e, int depth, bool *spaced)
{
    bool esc;
    int kind;
    if (p == e)
        return syntax_error(jx, p, "unexpected end of line");
    switch (*p) {
    case '"':
    case '\'':
        return string_end(jx, p, e, &esc);
    case 't':
        return literal_at(p, e, "true", 4) ? p + 4 : syntax_error(jx, p, "unexpected character");
    case 'f':
        return literal_at(p, e, "false", 5) ? p + 5 : syntax_error(jx, p, "unexpected character");
    case 'n':
        return literal_at(p, e, "null", 4) ? p + 4 : syntax_error(jx, p, "unexpected character");
    case '{':
    case '[': {
        if (depth >= JSON_MAX_DEPTH)
            return syntax_error(jx, p, "nesting too deep");
        const char close = *p == '{' ? '}' : ']';
        const bool obj = *p == '{';
        const char *q = p + 1;
        const char *r = skip_ws(q, e);
        *spaced |= r != q;
        if (r < e && *r == close)
            return r + 1;
        for (;;) {
            if (obj) {
                if (r == e || (*r != '"' && *r != '\''))
                    return syntax_error(jx, r, "expected field name");
                if (!(r = string_end(jx, r, e, &esc)))
                    return NULL;
                q = skip_ws(r, e);
                *spaced |= q != r;
                if (q == e || *q != ':')
                    return syntax_error(jx, q, "expected ':'");
                r = skip_ws(q + 1, e);
                *spaced |= r != q + 1;
            }
            if (!(q = value_end(jx, r, e, depth + 1, spaced)))
                return NULL;
            r = skip_ws(q, e);
            *spaced |= r != q;
            if (r < e && *r == ',') {
                q = skip_ws(r + 1, e);
                *spaced |= q != r + 1;
                r = q;
                continue;
            }
            if (r < e && *r == close)
                return r + 1;
            return syntax_error(jx, r, r == e ? "unexpected end of line" : "unexpected character");
        }
    }
    default:
        return number_end(jx, p, e, &kind);
    }
}

/* [s, e) without whitespace outside strings, in the arena. */
static const char *compact(json_ctx *jx, const char *s, const char *e, size_t *len)
{
    char *d = arena_alloc(jx->out->arena, (size_t)(e - s) + 1);
    size_t k = 0;
    char q = 0;
    for (const char *p = s; p < e; p++) {
        char c = *p;
        if (q) {
            d[k++] = c;
            if (c == '\\' && p + 1 < e)
                d[k++] = *++p;
            else if (c == q)
                q = 0;
        } else if (!is_ws(c)) {
            if (c == '"' || c == '\'')
                q = c;
            d[k++] = c;
        }
    }
    *len = k;
    return d;
}

static void set_string(column *c, uint32_t row, const char *p, size_t n)
{
    c->data.s[row].ptr = p;
    c->data.s[row].len = (uint32_t)n;
    c->valid[row] = 1;
}

static int number_to_double(const char *p, size_t n, int kind, double *out)
{
    if (kind == 2) {
        *out = p[0] == 'N' ? __builtin_nan("") : p[0] == '-' ? -__builtin_inf() : __builtin_inf();
        return 0;
    }
    int64_t v;
    if (kind == 0 && n <= 16 && reader_parse_i64(p, n, &v) == 0) {
        *out = (double)v;
        return 0;
    }
    char small[64];
    char *tmp = n < sizeof small ? small : xmalloc(n + 1);
    memcpy(tmp, p, n);
    tmp[n] = 0;
    *out = strtod(tmp, NULL);
    if (tmp != small)
        free(tmp);
    return 0;
}

/* Converts a JSON string's text into a non-string column. */
static int string_to_column(json_ctx *jx, column *c, const char *s, size_t n)
{
    if (n == 0)
        return -1;
    switch (c->type) {
    case TYPE_DOUBLE:
        if (n == 3 && memcmp(s, "NaN", 3) == 0)
            c->data.f64[jx->row] = __builtin_nan("");
        else if ((n == 8 && memcmp(s, "Infinity", 8) == 0) ||
                 (n == 9 && memcmp(s, "+Infinity", 9) == 0) || (n == 4 && memcmp(s, "+INF", 4) == 0))
            c->data.f64[jx->row] = __builtin_inf();
        else if ((n == 9 && memcmp(s, "-Infinity", 9) == 0) || (n == 4 && memcmp(s, "-INF", 4) == 0))
            c->data.f64[jx->row] = -__builtin_inf();
        else
            return -1;
        c->valid[jx->row] = 1;
        return 0;
    case TYPE_TIMESTAMP:
    case TYPE_DATE:
        return field_convert(s, n, c, jx->row, jx->o);
    default:
        return -1;
    }
}

/* Parses the value at p into column col. Returns its end, or NULL on a
 * syntax error; a value that does not convert marks the record malformed. */
static const char *store_value(json_ctx *jx, const char *p, const char *e, int col)
{
    column *c = &jx->out->cols[col];
    const uint32_t row = jx->row;
    const char *end;
    int rc = -1;
    c->valid[row] = 0;
    if (p == e)
        return syntax_error(jx, p, "unexpected end of line");
    switch (*p) {
    case '"':
    case '\'': {
        bool escaped;
        if (!(end = string_end(jx, p, e, &escaped)))
            return NULL;
        const char *s = p + 1;
        size_t n = (size_t)(end - 1 - s);
        if (escaped) {
            char *d = arena_alloc(jx->out->arena, n + 1);
            n = decode_string(s, end - 1, d);
            s = d;
        }
        if (c->type == TYPE_STRING) {
            set_string(c, row, s, n);
            rc = 0;
        } else {
            rc = string_to_column(jx, c, s, n);
        }
        break;
    }
    case '{':
    case '[': {
        bool spaced = false;
        if (!(end = value_end(jx, p, e, 1, &spaced)))
            return NULL;
        if (c->type == TYPE_STRING) {
            size_t n = (size_t)(end - p);
            const char *s = spaced ? compact(jx, p, end, &n) : p;
            set_string(c, row, s, n);
            rc = 0;
        }
        break;
    }
    case 't':
    case 'f':
        if (literal_at(p, e, "true", 4))
            end = p + 4;
        else if (literal_at(p, e, "false", 5))
            end = p + 5;
        else
            return syntax_error(jx, p, "unexpected character");
        if (c->type == TYPE_BOOLEAN) {
            c->data.b[row] = *p == 't';
            c->valid[row] = 1;
            rc = 0;
        } else if (c->type == TYPE_STRING) {
            set_string(c, row, p, (size_t)(end - p));
            rc = 0;
        }
        break;
    case 'n':
        if (!literal_at(p, e, "null", 4))
            return syntax_error(jx, p, "unexpected character");
        return p + 4;
    default: {
        int kind;
        if (!(end = number_end(jx, p, e, &kind)))
            return NULL;
        size_t n = (size_t)(end - p);
        int64_t v;
        switch (c->type) {
        case TYPE_STRING:
            set_string(c, row, p, n);
            rc = 0;
            break;
        case TYPE_INT:
            if (kind == 0 && reader_parse_i64(p, n, &v) == 0 && v >= INT32_MIN && v <= INT32_MAX) {
                c->data.i32[row] = (int32_t)v;
                c->valid[row] = 1;
                rc = 0;
            }
            break;
        case TYPE_BIGINT:
            if (kind == 0 && reader_parse_i64(p, n, &v) == 0) {
                c->data.i64[row] = v;
                c->valid[row] = 1;
                rc = 0;
            }
            break;
        case TYPE_DOUBLE:
            rc = number_to_double(p, n, kind, &c->data.f64[row]);
            c->valid[row] = 1;
            break;
        case TYPE_TIMESTAMP:
            if (kind == 0 && reader_parse_i64(p, n, &v) == 0 &&
                !__builtin_mul_overflow(v, (int64_t)1000000, &v)) {
                c->data.i64[row] = v;
                c->valid[row] = 1;
                rc = 0;
            }
            break;
        default:
            break;
        }
        break;
    }
    }
    if (rc != 0) {
        c->valid[row] = 0;
        if (jx->bad_col < 0) {
            jx->bad_col = col;
            jx->bad_ptr = p;
            jx->bad_len = (size_t)(end - p);
        }
        jx->malformed = true;
    }
    return end;
}

/* Schema column for key [k, k+n): exact name first, then ignoring case. */
static int match_key(json_ctx *jx, const char *k, size_t n)
{
    const field *f = jx->s->fields;
    int h = jx->hint;
    if (h < jx->ncols && h != jx->cc && jx->name_len[h] == n && memcmp(f[h].name, k, n) == 0) {
        jx->hint = h + 1;
        return h;
    }
    for (int i = 0; i < jx->ncols; i++)
        if (i != jx->cc && jx->name_len[i] == n && memcmp(f[i].name, k, n) == 0) {
            jx->hint = i + 1;
            return i;
        }
    for (int i = 0; i < jx->ncols; i++)
        if (i != jx->cc && jx->name_len[i] == n && strncasecmp(f[i].name, k, n) == 0) {
            jx->hint = i + 1;
            return i;
        }
    return -1;
}

/* Parses the object that the line [p, e) must hold. Returns false on a
 * syntax error (conversion failures only set jx->malformed). */
static bool parse_object(json_ctx *jx, const char *p, const char *e)
{
    p = skip_ws(p, e);
    if (p == e || *p != '{') {
        syntax_error(jx, p, "not a JSON object");
        return false;
    }
    p = skip_ws(p + 1, e);
    jx->hint = 0;
    if (p < e && *p == '}') {
        p++;
    } else {
        for (;;) {
            if (p == e || (*p != '"' && *p != '\'')) {
                syntax_error(jx, p, p == e ? "unexpected end of line" : "expected field name");
                return false;
            }
            bool escaped, spaced = false;
            const char *kend = string_end(jx, p, e, &escaped);
            if (!kend)
                return false;
            const char *k = p + 1;
            size_t kn = (size_t)(kend - 1 - k);
            if (escaped) {
                char *d = arena_alloc(jx->out->arena, kn + 1);
                kn = decode_string(k, kend - 1, d);
                k = d;
            }
            p = skip_ws(kend, e);
            if (p == e || *p != ':') {
                syntax_error(jx, p, "expected ':'");
                return false;
            }
            p = skip_ws(p + 1, e);
            int col = match_key(jx, k, kn);
            if (col >= 0 && (!jx->needed || jx->needed[col]))
                p = store_value(jx, p, e, col);
            else
                p = value_end(jx, p, e, 1, &spaced);
            if (!p)
                return false;
            p = skip_ws(p, e);
            if (p < e && *p == ',') {
                p = skip_ws(p + 1, e);
                continue;
            }
            if (p < e && *p == '}') {
                p++;
                break;
            }
            syntax_error(jx, p, p == e ? "unexpected end of line" : "expected ',' or '}'");
            return false;
        }
    }
    p = skip_ws(p, e);
    if (p != e) {
        syntax_error(jx, p, "trailing characters after JSON object");
        return false;
    }
    return true;
}

static uint32_t min_cap(const batch *b)
{
    uint32_t cap = UINT32_MAX;
    for (uint32_t i = 0; i < b->ncols; i++)
        if (b->cols[i].cap < cap)
            cap = b->cols[i].cap;
    return cap;
}

static int failfast(const json_ctx *jx, const char *file_name, uint64_t line, eddy_error *err)
{
    if (jx->syntax)
        return err_set(err, EDDY_PARSE, "%s:%llu: malformed JSON record: %s at column %zu",
                       file_name, (unsigned long long)line, jx->syntax,
                       (size_t)(jx->syntax_at - jx->line) + 1);
    char text[80];
    reader_snippet(text, sizeof text, jx->bad_ptr, jx->bad_len);
    return err_set(err, EDDY_PARSE,
                   "%s:%llu: malformed JSON record: field '%s': cannot convert %s to %s",
                   file_name, (unsigned long long)line, jx->s->fields[jx->bad_col].name, text,
                   type_name(jx->s->fields[jx->bad_col].type));
}

int json_read(const read_options *o, const schema *s, const uint8_t *needed, const char *buf,
              size_t len, const char *file_name, parse_cursor *cur, batch *out,
              uint32_t max_rows, parse_stats *st, eddy_error *err)
{
    json_ctx jx;
    memset(&jx, 0, sizeof jx);
    jx.o = o;
    jx.s = s;
    jx.out = out;
    jx.needed = needed;
    jx.ncols = (int)out->ncols < s->n ? (int)out->ncols : s->n;
    jx.cc = o->corrupt_column >= 0 && o->corrupt_column < jx.ncols &&
                    s->fields[o->corrupt_column].type == TYPE_STRING
                ? o->corrupt_column
                : -1;
    bool corrupt_out = jx.cc >= 0 && (!needed || needed[jx.cc]);
    jx.name_len = xmalloc(((size_t)jx.ncols + 1) * sizeof(size_t));
    for (int i = 0; i < jx.ncols; i++)
        jx.name_len[i] = strlen(s->fields[i].name);

    if (cur->line == 0)
        cur->line = 1;
    const char *end = buf + len;
    uint32_t cap = min_cap(out);
    while (cur->pos < len && out->nrows < max_rows) {
        const char *p = buf + cur->pos;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        uint64_t line = cur->line;
        cur->pos = nl ? (size_t)(nl + 1 - buf) : len;
        cur->line += nl != NULL;
        if (le > p && le[-1] == '\r')
            le--;
        const char *raw = p;
        if (le - p >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
            p += 3;
        if (skip_ws(p, le) == le)
            continue;
        uint32_t row = out->nrows;
        if (row >= cap) {
            batch_reserve(out, row + 1);
            cap = min_cap(out);
        }
        for (uint32_t i = 0; i < out->ncols; i++)
            out->cols[i].valid[row] = 0;
        jx.row = row;
        jx.line = raw;
        jx.malformed = false;
        jx.syntax = NULL;
        jx.bad_col = -1;
        if (!parse_object(&jx, p, le))
            for (uint32_t i = 0; i < out->ncols; i++)
                out->cols[i].valid[row] = 0;
        if (jx.malformed) {
            st->malformed++;
            if (o->mode == PARSE_FAILFAST) {
                free(jx.name_len);
                return failfast(&jx, file_name, line, err);
            }
            if (o->mode == PARSE_DROPMALFORMED) {
                st->dropped++;
                continue;
            }
            if (corrupt_out && (size_t)(le - raw) <= UINT32_MAX)
                set_string(&out->cols[jx.cc], row, raw, (size_t)(le - raw));
        }
        for (uint32_t i = 0; i < out->ncols; i++) {
            column *c = &out->cols[i];
            if (!c->valid[row]) {
                size_t w = type_width(c->type);
                memset((char *)c->data.raw + (size_t)row * w, 0, w);
            }
        }
        out->nrows++;
        st->rows++;
    }
    free(jx.name_len);
    return cur->pos < len ? 1 : 0;
}
