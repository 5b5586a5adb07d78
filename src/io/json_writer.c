/* Spark's JSON text for rows (json_writer.h). */
#include "io/json_writer.h"

#include <math.h>
#include <string.h>

#include "core/timefmt.h"

void json_write_string(textbuf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    textbuf_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        textbuf_put(b, s + run, i - run);
        run = i + 1;
        char esc[2] = {'\\', 0};
        switch (c) {
        case '"': esc[1] = '"'; break;
        case '\\': esc[1] = '\\'; break;
        case '\b': esc[1] = 'b'; break;
        case '\t': esc[1] = 't'; break;
        case '\n': esc[1] = 'n'; break;
        case '\f': esc[1] = 'f'; break;
        case '\r': esc[1] = 'r'; break;
        default:
            textbuf_put(b, "\\u00", 4);
            textbuf_putc(b, hex[c >> 4]);
            textbuf_putc(b, hex[c & 15]);
            continue;
        }
        textbuf_put(b, esc, 2);
    }
    textbuf_put(b, s + run, n - run);
    textbuf_putc(b, '"');
}

void json_write_value(textbuf *b, const value *v)
{
    char tmp[80];
    int n;
    switch (v->type) {
    case TYPE_STRING:
        json_write_string(b, v->v.s.ptr, v->v.s.len);
        return;
    case TYPE_TIMESTAMP:
        n = ts_format_iso(v->v.i64, tmp);
        json_write_string(b, tmp, (size_t)n);
        return;
    case TYPE_DATE:
        n = date_format(v->v.i32, tmp);
        json_write_string(b, tmp, (size_t)n);
        return;
    case TYPE_WINDOW:
        textbuf_puts(b, "{\"start\":");
        n = ts_format_iso(v->v.w.start, tmp);
        json_write_string(b, tmp, (size_t)n);
        textbuf_puts(b, ",\"end\":");
        n = ts_format_iso(v->v.w.end, tmp);
        json_write_string(b, tmp, (size_t)n);
        textbuf_putc(b, '}');
        return;
    case TYPE_DOUBLE:
        n = double_to_text(v->v.f64, tmp);
        if (isnan(v->v.f64) || isinf(v->v.f64)) /* Jackson quotes these */
            json_write_string(b, tmp, (size_t)n);
        else
            textbuf_put(b, tmp, (size_t)n);
        return;
    default:
        n = value_to_text(v, tmp, sizeof tmp);
        textbuf_put(b, tmp, (size_t)n);
        return;
    }
}

void json_write_row(textbuf *b, const schema *s, const int *cols, int ncols, const batch *bt,
                    uint32_t r, bool skip_nulls)
{
    if (!cols)
        ncols = s->n;
    textbuf_putc(b, '{');
    bool first = true;
    for (int k = 0; k < ncols; k++) {
        int c = cols ? cols[k] : k;
        value v = column_get(&bt->cols[c], r);
        if (v.is_null && skip_nulls)
            continue;
        if (!first)
            textbuf_putc(b, ',');
        first = false;
        const char *name = s->fields[c].name;
        json_write_string(b, name, strlen(name));
        textbuf_putc(b, ':');
        if (v.is_null)
            textbuf_puts(b, "null");
        else
            json_write_value(b, &v);
    }
    textbuf_putc(b, '}');
}
