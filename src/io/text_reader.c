/* Text files: one row per line into the STRING column `value`, as Spark's
 * text source reads them (empty lines are rows; "\n" and "\r\n" end lines). */
#include "io/reader.h"

#include <string.h>

int text_read(const read_options *o, const schema *s, const uint8_t *needed, const char *buf,
              size_t len, const char *file_name, parse_cursor *cur, batch *out,
              uint32_t max_rows, parse_stats *st, eddy_error *err)
{
    int ncols = (int)out->ncols < s->n ? (int)out->ncols : s->n;
    int vc = ncols == 1 ? 0 : schema_find(s, "value");
    if (vc >= ncols || (vc >= 0 && (s->fields[vc].type != TYPE_STRING || (needed && !needed[vc]))))
        vc = -1;
    if (cur->line == 0)
        cur->line = 1;
    const char *end = buf + len;
    while (cur->pos < len && out->nrows < max_rows) {
        const char *p = buf + cur->pos;
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *le = nl ? nl : end;
        cur->pos = nl ? (size_t)(nl + 1 - buf) : len;
        cur->line += nl != NULL;
        if (le > p && le[-1] == '\r')
            le--;
        uint32_t row = out->nrows;
        batch_reserve(out, row + 1);
        for (uint32_t i = 0; i < out->ncols; i++) {
            column *c = &out->cols[i];
            size_t w = type_width(c->type);
            c->valid[row] = 0;
            memset((char *)c->data.raw + (size_t)row * w, 0, w);
        }
        if (vc >= 0 && (size_t)(le - p) <= UINT32_MAX) {
            column *c = &out->cols[vc];
            c->data.s[row].ptr = p;
            c->data.s[row].len = (uint32_t)(le - p);
            c->valid[row] = 1;
        }
        out->nrows++;
        st->rows++;
    }
    return cur->pos < len ? 1 : 0;
}
