/* Turns pipeline SQL text into tokens with positions; lexical errors become a
 * final TK_ERROR token so the parser can report them in source order. */
#include "sql/lexer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

typedef struct lexer {
    const char *src;
    int pos;
    int line;
    int line_start; /* offset of the current line's first byte */
    arena *a;
    lex_result *out;
    int cap;
} lexer;

static bool is_word_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static bool is_word_char(unsigned char c)
{
    return is_word_start(c) || is_digit(c);
}

static token *push(lexer *lx, tok_kind kind, int off, int line, int col)
{
    lex_result *r = lx->out;
    if (r->ntoks == lx->cap) {
        lx->cap = lx->cap ? lx->cap * 2 : 64;
        r->toks = xrealloc(r->toks, (size_t)lx->cap * sizeof(token));
    }
    token *t = &r->toks[r->ntoks++];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->off = off;
    t->line = line;
    t->col = col;
    return t;
}

/* Advances over one byte, keeping line bookkeeping. */
static void step(lexer *lx)
{
    if (lx->src[lx->pos] == '\n') {
        lx->line++;
        lx->line_start = lx->pos + 1;
    }
    lx->pos++;
}

static void lex_fail(lexer *lx, int off, int line, int col, int len, const char *msg)
{
    token *t = push(lx, TK_ERROR, off, line, col);
    t->len = len;
    snprintf(lx->out->msg, sizeof lx->out->msg, "%s", msg);
}

/* Skips whitespace and comments. Returns false after reporting an
 * unterminated comment. */
static bool skip_space(lexer *lx)
{
    const char *s = lx->src;
    for (;;) {
        char c = s[lx->pos];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
            step(lx);
        } else if (c == '-' && s[lx->pos + 1] == '-') {
            while (s[lx->pos] && s[lx->pos] != '\n')
                lx->pos++;
        } else if (c == '/' && s[lx->pos + 1] == '*') {
            int off = lx->pos, line = lx->line, col = lx->pos - lx->line_start + 1;
            int depth = 0;
            for (;;) {
                if (!s[lx->pos]) {
                    lex_fail(lx, off, line, col, 2, "unterminated comment");
                    return false;
                }
                if (s[lx->pos] == '/' && s[lx->pos + 1] == '*') {
                    depth++;
                    lx->pos += 2;
                } else if (s[lx->pos] == '*' && s[lx->pos + 1] == '/') {
                    lx->pos += 2;
                    if (--depth == 0)
                        break;
                } else {
                    step(lx);
                }
            }
        } else {
            return true;
        }
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int utf8_encode(unsigned cp, char *out)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    return 3;
}

/* Unescapes the body of a single-quoted literal, src[b, e), as Spark's
 * unescapeSQLString does, plus the SQL-standard '' for a quote. */
static void unescape_string(lexer *lx, token *t, int b, int e)
{
    const char *s = lx->src;
    char *buf = arena_alloc(lx->a, (size_t)(e - b) + 1);
    int n = 0;
    for (int i = b; i < e; i++) {
        char c = s[i];
        if (c == '\'') {
            buf[n++] = '\'';
            i++;
            continue;
        }
        if (c != '\\' || i + 1 >= e) {
            buf[n++] = c;
            continue;
        }
        char d = s[++i];
        if (d == 'u' && i + 4 < e && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0 &&
            hex_value(s[i + 3]) >= 0 && hex_value(s[i + 4]) >= 0) {
            unsigned cp = 0;
            for (int k = 1; k <= 4; k++)
                cp = cp * 16 + (unsigned)hex_value(s[i + k]);
            char tmp[4];
            int m = utf8_encode(cp, tmp);
            memcpy(buf + n, tmp, (size_t)m);
            n += m;
            i += 4;
            continue;
        }
        if (d >= '0' && d <= '3' && i + 2 < e && s[i + 1] >= '0' && s[i + 1] <= '7' &&
            s[i + 2] >= '0' && s[i + 2] <= '7') {
            buf[n++] = (char)((d - '0') * 64 + (s[i + 1] - '0') * 8 + (s[i + 2] - '0'));
            i += 2;
            continue;
        }
        switch (d) {
        case '0': buf[n++] = '\0'; break;
        case 'b': buf[n++] = '\b'; break;
        case 'n': buf[n++] = '\n'; break;
        case 'r': buf[n++] = '\r'; break;
        case 't': buf[n++] = '\t'; break;
        case 'Z': buf[n++] = '\032'; break;
        case '%':
        case '_':
            buf[n++] = '\\';
            buf[n++] = d;
            break;
        default: buf[n++] = d; break;
        }
    }
    buf[n] = '\0';
    t->val = buf;
    t->vlen = n;
}

/* 'string': '' and backslash escapes. Returns false on an unterminated one. */
static bool lex_string(lexer *lx, int off, int line, int col)
{
    const char *s = lx->src;
    step(lx);
    int body = lx->pos;
    for (;;) {
        char c = s[lx->pos];
        if (!c) {
            lex_fail(lx, off, line, col, 1, "unterminated string literal");
            return false;
        }
        if (c == '\\' && s[lx->pos + 1]) {
            step(lx);
            step(lx);
        } else if (c == '\'' && s[lx->pos + 1] == '\'') {
            lx->pos += 2;
        } else if (c == '\'') {
            break;
        } else {
            step(lx);
        }
    }
    int end = lx->pos;
    lx->pos++;
    token *t = push(lx, TK_STRING, off, line, col);
    t->len = lx->pos - off;
    unescape_string(lx, t, body, end);
    return true;
}

/* `name` or "name": a doubled quote stands for one. */
static bool lex_quoted_ident(lexer *lx, int off, int line, int col)
{
    const char *s = lx->src;
    char q = s[lx->pos];
    step(lx);
    int body = lx->pos;
    for (;;) {
        char c = s[lx->pos];
        if (!c) {
            lex_fail(lx, off, line, col, 1, "unterminated quoted identifier");
            return false;
        }
        if (c == q && s[lx->pos + 1] == q) {
            lx->pos += 2;
        } else if (c == q) {
            break;
        } else {
            step(lx);
        }
    }
    int end = lx->pos;
    lx->pos++;
    if (end == body) {
        lex_fail(lx, off, line, col, 2, "empty quoted identifier");
        return false;
    }
    token *t = push(lx, TK_QIDENT, off, line, col);
    t->len = lx->pos - off;
    char *buf = arena_alloc(lx->a, (size_t)(end - body) + 1);
    int n = 0;
    for (int i = body; i < end; i++) {
        buf[n++] = s[i];
        if (s[i] == q)
            i++;
    }
    buf[n] = '\0';
    t->val = buf;
    t->vlen = n;
    return true;
}

/* Digits with optional fraction and exponent, then an optional L (BIGINT) or
 * D (DOUBLE) suffix as in Spark. Letters glued to a number are an error. */
static bool lex_number(lexer *lx, int off, int line, int col)
{
    const char *s = lx->src;
    int p = lx->pos;
    while (is_digit((unsigned char)s[p]))
        p++;
    if (s[p] == '.') {
        p++;
        while (is_digit((unsigned char)s[p]))
            p++;
    }
    if ((s[p] == 'e' || s[p] == 'E') &&
        (is_digit((unsigned char)s[p + 1]) ||
         ((s[p + 1] == '+' || s[p + 1] == '-') && is_digit((unsigned char)s[p + 2])))) {
        p += 2;
        while (is_digit((unsigned char)s[p]))
            p++;
    }
    if ((s[p] == 'L' || s[p] == 'l' || s[p] == 'D' || s[p] == 'd') &&
        !is_word_char((unsigned char)s[p + 1]))
        p++;
    if (is_word_char((unsigned char)s[p])) {
        int q = p;
        while (is_word_char((unsigned char)s[q]))
            q++;
        char msg[96];
        snprintf(msg, sizeof msg, "malformed number '%.*s'", q - off > 40 ? 40 : q - off, s + off);
        lex_fail(lx, off, line, col, q - off, msg);
        return false;
    }
    lx->pos = p;
    token *t = push(lx, TK_NUMBER, off, line, col);
    t->len = p - off;
    return true;
}

static bool lex_operator(lexer *lx, int off, int line, int col)
{
    const char *s = lx->src;
    char c = s[off], d = s[off + 1];
    tok_kind k;
    int len = 1;
    switch (c) {
    case '(': k = TK_LPAREN; break;
    case ')': k = TK_RPAREN; break;
    case ',': k = TK_COMMA; break;
    case ';': k = TK_SEMI; break;
    case '.': k = TK_DOT; break;
    case ':': k = TK_COLON; break;
    case '*': k = TK_STAR; break;
    case '+': k = TK_PLUS; break;
    case '-': k = TK_MINUS; break;
    case '/': k = TK_SLASH; break;
    case '%': k = TK_PERCENT; break;
    case '=':
        k = d == '=' ? TK_EQEQ : TK_EQ;
        len = d == '=' ? 2 : 1;
        break;
    case '!':
        if (d != '=')
            goto bad;
        k = TK_NE;
        len = 2;
        break;
    case '|':
        if (d != '|')
            goto bad;
        k = TK_CONCAT;
        len = 2;
        break;
    case '<':
        if (d == '=' && s[off + 2] == '>') {
            k = TK_NSEQ;
            len = 3;
        } else if (d == '=') {
            k = TK_LE;
            len = 2;
        } else if (d == '>') {
            k = TK_NE;
            len = 2;
        } else {
            k = TK_LT;
        }
        break;
    case '>':
        k = d == '=' ? TK_GE : TK_GT;
        len = d == '=' ? 2 : 1;
        break;
    default:
        goto bad;
    }
    lx->pos = off + len;
    push(lx, k, off, line, col)->len = len;
    return true;
bad:;
    char msg[64];
    unsigned char uc = (unsigned char)c;
    if (uc >= 0x21 && uc < 0x7f)
        snprintf(msg, sizeof msg, "unexpected character '%c'", c);
    else
        snprintf(msg, sizeof msg, "unexpected character 0x%02x", uc);
    lex_fail(lx, off, line, col, 1, msg);
    return false;
}

void lex_all(const char *src, arena *a, lex_result *out)
{
    memset(out, 0, sizeof *out);
    lexer lx = {.src = src, .pos = 0, .line = 1, .line_start = 0, .a = a, .out = out};
    int last_end = 0, last_line = 1, last_line_start = 0;
    for (;;) {
        if (!skip_space(&lx))
            return;
        int off = lx.pos, line = lx.line, col = lx.pos - lx.line_start + 1;
        unsigned char c = (unsigned char)src[off];
        if (!c)
            break;
        bool ok;
        if (is_word_start(c)) {
            int p = off;
            while (is_word_char((unsigned char)src[p]))
                p++;
            lx.pos = p;
            push(&lx, TK_WORD, off, line, col)->len = p - off;
            ok = true;
        } else if (is_digit(c) || (c == '.' && is_digit((unsigned char)src[off + 1]))) {
            ok = lex_number(&lx, off, line, col);
        } else if (c == '\'') {
            ok = lex_string(&lx, off, line, col);
        } else if (c == '`' || c == '"') {
            ok = lex_quoted_ident(&lx, off, line, col);
        } else {
            ok = lex_operator(&lx, off, line, col);
        }
        if (!ok)
            return;
        last_end = lx.pos;
        last_line = lx.line;
        last_line_start = lx.line_start;
    }
    push(&lx, TK_EOF, last_end, last_line, last_end - last_line_start + 1);
}

bool tok_is(const char *src, const token *t, const char *kw)
{
    return t->kind == TK_WORD && (size_t)t->len == strlen(kw) &&
           strncasecmp(src + t->off, kw, (size_t)t->len) == 0;
}
