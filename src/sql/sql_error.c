/* SPEC §1's positioned SQL error: "file:line:col: error: message", the source
 * line, a caret line under the offending token and an optional hint. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"
#include "sql/parser.h"

/* Longest stretch of a source line shown; longer lines are cut to a window
 * around the column so the caret stays in the message. */
#define SHOWN_LINE_MAX 200

static bool is_continuation(unsigned char c)
{
    return (c & 0xC0) == 0x80;
}

int sql_error_at(eddy_error *err, const char *text, const char *file_name, int line, int col,
                 int len, const char *hint, const char *fmt, ...)
{
    if (!err)
        return -EDDY_SQL;
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (!file_name)
        file_name = "<input>";
    if (line < 1)
        line = 1;
    if (col < 1)
        col = 1;

    const char *ls = NULL;
    if (text) {
        ls = text;
        for (int l = 1; l < line && ls; l++) {
            ls = strchr(ls, '\n');
            if (ls)
                ls++;
        }
    }
    if (!ls) {
        err_set(err, EDDY_SQL, "%s:%d:%d: error: %s", file_name, line, col, msg);
        return -EDDY_SQL;
    }
    const char *le = strchr(ls, '\n');
    if (!le)
        le = ls + strlen(ls);
    if (le > ls && le[-1] == '\r')
        le--;

    const char *at = ls + (col - 1);
    const char *from = ls, *to = le;
    if (to - from > SHOWN_LINE_MAX) {
        if (at - from > SHOWN_LINE_MAX / 2)
            from = at - SHOWN_LINE_MAX / 2;
        if (from > le)
            from = le;
        while (from > ls && from < le && is_continuation((unsigned char)*from))
            from--;
        if (to - from > SHOWN_LINE_MAX)
            to = from + SHOWN_LINE_MAX;
        while (to < le && is_continuation((unsigned char)*to))
            to++;
    }

    char caret[SHOWN_LINE_MAX * 2 + 64];
    int n = 0;
    const int room = (int)sizeof caret - 1;
    for (const char *c = from; c < at && n < room - SHOWN_LINE_MAX; c++) {
        if (c < le && *c == '\t')
            caret[n++] = '\t';
        else if (c >= le || !is_continuation((unsigned char)*c))
            caret[n++] = ' ';
    }
    caret[n++] = '^';
    const char *tok_end = at + (len > 0 ? len : 1);
    if (tok_end > le)
        tok_end = le;
    for (const char *c = at + 1; c < tok_end && n < room; c++)
        if (!is_continuation((unsigned char)*c))
            caret[n++] = '~';
    caret[n] = '\0';

    int shown = (int)(to - from);
    if (hint)
        err_set(err, EDDY_SQL, "%s:%d:%d: error: %s\n  %.*s\n  %s\n  did you mean '%s'?",
                file_name, line, col, msg, shown, from, caret, hint);
    else
        err_set(err, EDDY_SQL, "%s:%d:%d: error: %s\n  %.*s\n  %s", file_name, line, col, msg,
                shown, from, caret);
    return -EDDY_SQL;
}
