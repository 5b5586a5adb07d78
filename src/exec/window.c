/* The window column for window() and session_window(). */
#include "exec/window.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/timefmt.h"
#include "exec/expr_eval.h"
#include "exec/ops.h"

int time_window_check(int64_t size_us, int64_t slide_us, int64_t start_us, char *msg,
                      size_t cap)
{
    char a[64], b[64];
    if (size_us <= 0) {
        duration_format(size_us, a, sizeof a);
        snprintf(msg, cap, "the window duration (%s) must be greater than 0", a);
        return -1;
    }
    if (slide_us <= 0) {
        duration_format(slide_us, a, sizeof a);
        snprintf(msg, cap, "the slide duration (%s) must be greater than 0", a);
        return -1;
    }
    if (slide_us > size_us) {
        duration_format(slide_us, a, sizeof a);
        duration_format(size_us, b, sizeof b);
        snprintf(msg, cap,
                 "the slide duration (%s) must be less than or equal to the window duration "
                 "(%s)",
                 a, b);
        return -1;
    }
    if (start_us >= slide_us || start_us <= -slide_us) {
        duration_format(start_us, a, sizeof a);
        duration_format(slide_us, b, sizeof b);
        snprintf(msg, cap,
                 "the absolute value of the start time (%s) must be less than the slide "
                 "duration (%s)",
                 a, b);
        return -1;
    }
    return 0;
}

int64_t time_window_last_start(int64_t ts_us, int64_t slide_us, int64_t start_us)
{
    int64_t rem = (ts_us - start_us) % slide_us;
    if (rem < 0)
        rem += slide_us;
    return ts_us - rem;
}

/* A batch of in's columns plus one window column with room for n rows: in's
 * rows idx[0..n) (batch_gather), or, when idx is NULL, exactly in's rows, whose
 * column arrays then move to the new batch instead of being copied. */
static batch *with_window_column(batch *in, const uint32_t *idx, uint32_t n)
{
    batch *out;
    if (idx) {
        out = batch_gather(in, idx, n);
    } else {
        type_id types[256];
        type_id *t = in->ncols <= 256 ? types : xmalloc(in->ncols * sizeof(type_id));
        for (uint32_t c = 0; c < in->ncols; c++)
            t[c] = in->cols[c].type;
        out = batch_new(in->ncols, t, 0);
        for (uint32_t c = 0; c < in->ncols; c++) {
            column_free(&out->cols[c]);
            out->cols[c] = in->cols[c];
            column_init(&in->cols[c], t[c], 0);
        }
        if (t != types)
            free(t);
        in->nrows = 0;
        out->nrows = n;
    }
    out->cols = xrealloc(out->cols, (out->ncols + 1) * sizeof(column));
    column_init(&out->cols[out->ncols], TYPE_WINDOW, n ? n : 1);
    out->ncols++;
    return out;
}

int op_time_window(const expr *time_col, int64_t size_us, int64_t slide_us, int64_t start_us,
                   batch *in, func_ctx *ctx, batch **out, eddy_error *err)
{
    column ts;
    int owned = 0;
    int rc = expr_eval_view(time_col, in, ctx, &ts, &owned, err);
    if (rc)
        return rc;
    uint32_t n = in->nrows;
    int64_t per_row = (size_us + slide_us - 1) / slide_us;
    bool exact = size_us % slide_us == 0; /* every candidate window holds ts */
    bool all_valid = true;
    for (uint32_t i = 0; i < n && all_valid; i++)
        all_valid = ts.valid[i];

    if (per_row == 1 && all_valid) {
        /* Tumbling, no NULL times: the same rows plus their window. */
        window_val *w = xmalloc((n ? n : 1) * sizeof(window_val));
        for (uint32_t i = 0; i < n; i++) {
            int64_t s = time_window_last_start(ts.data.i64[i], slide_us, start_us);
            w[i].start = s;
            w[i].end = s + size_us;
        }
        if (owned)
            column_free(&ts);
        batch *o = with_window_column(in, NULL, n);
        column *wc = &o->cols[o->ncols - 1];
        memcpy(wc->data.w, w, n * sizeof(window_val));
        memset(wc->valid, 1, n);
        free(w);
        *out = o;
        return 0;
    }

    uint64_t cap64 = (uint64_t)n * (uint64_t)per_row;
    if (cap64 > UINT32_MAX / 2) {
        if (owned)
            column_free(&ts);
        return err_set(err, EDDY_RUNTIME,
                       "window(): %llu rows with up to %lld windows each is too many for one "
                       "batch; use a larger slide",
                       (unsigned long long)n, (long long)per_row);
    }
    uint32_t cap = (uint32_t)cap64;
    uint32_t *idx = xmalloc((cap ? cap : 1) * sizeof(uint32_t));
    window_val *w = xmalloc((cap ? cap : 1) * sizeof(window_val));
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!ts.valid[i])
            continue;
        int64_t t = ts.data.i64[i];
        int64_t last = time_window_last_start(t, slide_us, start_us);
        for (int64_t k = 0; k < per_row; k++) {
            int64_t s = last - k * slide_us;
            if (!exact && !(t < s + size_us))
                continue;
            idx[m] = i;
            w[m].start = s;
            w[m].end = s + size_us;
            m++;
        }
    }
    if (owned)
        column_free(&ts);
    batch *o = with_window_column(in, idx, m);
    column *wc = &o->cols[o->ncols - 1];
    memcpy(wc->data.w, w, m * sizeof(window_val));
    memset(wc->valid, 1, m);
    free(idx);
    free(w);
    *out = o;
    return 0;
}

int op_session_window(const expr *time_col, int64_t gap_us, batch *in, func_ctx *ctx,
                      batch **out, eddy_error *err)
{
    column ts;
    int owned = 0;
    int rc = expr_eval_view(time_col, in, ctx, &ts, &owned, err);
    if (rc)
        return rc;
    uint32_t n = in->nrows;
    uint32_t *idx = xmalloc((n ? n : 1) * sizeof(uint32_t));
    window_val *w = xmalloc((n ? n : 1) * sizeof(window_val));
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!ts.valid[i])
            continue;
        idx[m] = i;
        w[m].start = ts.data.i64[i];
        w[m].end = ts.data.i64[i] + gap_us;
        m++;
    }
    if (owned)
        column_free(&ts);
    batch *o = with_window_column(in, m == n ? NULL : idx, m);
    column *wc = &o->cols[o->ncols - 1];
    memcpy(wc->data.w, w, m * sizeof(window_val));
    memset(wc->valid, 1, m);
    free(idx);
    free(w);
    *out = o;
    return 0;
}
