/* SQL tokenizer for pipeline files and DDL schema strings: words, quoted
 * identifiers, string and numeric literals, operators, with 1-based line and
 * byte column for every token. Private to the SQL front end. */
#ifndef SQL_LEXER_H
#define SQL_LEXER_H

#include <stdbool.h>

#include "core/arena.h"

typedef enum tok_kind {
    TK_EOF,
    TK_ERROR,   /* lexical error; the message is in the lexer's error fields */
    TK_WORD,    /* bare identifier or keyword (keywords are not told apart) */
    TK_QIDENT,  /* `quoted` or "quoted" identifier; val holds the name */
    TK_STRING,  /* 'string'; val holds the unescaped bytes */
    TK_NUMBER,  /* 10, 10L, 1.5, .5, 1e3, 2.5D: the text is the literal */
    TK_LPAREN, TK_RPAREN, TK_COMMA, TK_SEMI, TK_DOT, TK_COLON,
    TK_STAR, TK_PLUS, TK_MINUS, TK_SLASH, TK_PERCENT, TK_CONCAT,
    TK_EQ, TK_EQEQ, TK_NE, TK_LT, TK_LE, TK_GT, TK_GE, TK_NSEQ,
} tok_kind;

typedef struct token {
    tok_kind kind;
    int off, len;       /* the token's bytes in the source: src[off, off+len) */
    int line, col;      /* 1-based; col counts bytes */
    const char *val;    /* STRING/QIDENT: unescaped, NUL-terminated (arena);
                           NULL for other kinds */
    int vlen;           /* length of val in bytes (may contain NUL bytes) */
} token;

typedef struct lex_result {
    token *toks;        /* malloc'd; ends with one TK_EOF or TK_ERROR token */
    int ntoks;
    char msg[160];      /* for a TK_ERROR token: what went wrong */
} lex_result;

/* Tokenizes the NUL-terminated text `src`. Never fails as a call: a lexical
 * error (unterminated string, comment or quoted identifier, unexpected
 * character, malformed number) becomes a final TK_ERROR token positioned at
 * the start of the offending construct, with its message in out->msg, so the
 * parser reports errors in source order. Comments (`--` to end of line, and
 * bracketed comments, which nest as in Spark) and whitespace are skipped.
 * String literals follow Spark's unescaping (backslash escapes; `\%` and `\_`
 * keep the backslash) plus SQL's '' for a quote; unescaped values go into
 * arena `a`. The EOF token sits just past the last token. Free out->toks
 * with free(). */
void lex_all(const char *src, arena *a, lex_result *out);

/* True when token t is the bare word `kw` (case-insensitive). */
bool tok_is(const char *src, const token *t, const char *kw);

#endif
