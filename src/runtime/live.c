/* The live view (live.h): result views, progress rings and the event
 * cursors of the web UI. */
#include "runtime/live.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/mem.h"
#include "core/strutil.h"
#include "core/timefmt.h"
#include "core/valuefmt.h"

#include <xxhash.h>

#define SEND_INTERVAL_MS 100 /* an event stream sends at most 10 times a second */
#define KEY_SLOTS 2048       /* > 2 * LIVE_RESULT_ROWS, a power of two */

/* An immutable, reference-counted JSON text shared by the publisher and
 * any number of readers. */
typedef struct rcstr {
    atomic_int refs;
    size_t len;
    char text[];
} rcstr;

static rcstr *rcstr_take(char *text)
{
    size_t n = strlen(text);
    rcstr *s = xmalloc(sizeof *s + n + 1);
    atomic_init(&s->refs, 1);
    s->len = n;
    memcpy(s->text, text, n + 1);
    free(text);
    return s;
}

static rcstr *rcstr_ref(rcstr *s)
{
    if (s)
        atomic_fetch_add(&s->refs, 1);
    return s;
}

static void rcstr_unref(rcstr *s)
{
    if (s && atomic_fetch_sub(&s->refs, 1) == 1)
        free(s);
}

struct live {
    pthread_mutex_t lock;
    pthread_cond_t changed;   /* broadcast on every publication (CLOCK_MONOTONIC) */
    uint64_t version;         /* bumped on every publication */
    bool closed;
    live_query **queries;
    int nqueries, cap;
};

struct live_query {
    live *l;
    const query_plan *q;
    char *name;
    char *name_json;          /* the name as a JSON string literal */
    char id[40], run_id[40];
    char *chart_json;         /* the chart object (docs/HTTP.md) */
    char *columns_json, *types_json; /* the result's column names and types */
    bool *is_key;             /* per result column */
    int nkeys;

    /* Guarded by l->lock. */
    live_status status;
    char *exception;
    uint64_t status_version;
    rcstr *result;            /* the /result object */
    int64_t result_batch;
    uint64_t result_version;
    rcstr *progress[LIVE_PROGRESS_KEEP]; /* report k at k % KEEP */
    uint64_t nprogress;

    /* The result view, owned by the query's thread. Rows are JSON arrays.
     * complete/update: rows[0..nrows); append: a ring of the last
     * LIVE_RESULT_ROWS rows, the oldest at `head`. */
    char *rows[LIVE_RESULT_ROWS];   /* JSON array texts */
    int nrows, head;
    uint64_t total_rows;
    /* Update mode with keys: the rows of the LIVE_RESULT_ROWS keys written
     * most recently. An open-addressing table (linear probing, slot = row +
     * 1, 0 empty) finds a key's row; a list in write order (lru_prev/next,
     * head = newest) finds the row to reuse for a new key once all are taken. */
    int slots[KEY_SLOTS];
    uint64_t key_hash[LIVE_RESULT_ROWS];
    char *key_bytes[LIVE_RESULT_ROWS];
    uint32_t key_len[LIVE_RESULT_ROWS], key_cap[LIVE_RESULT_ROWS];
    int lru_prev[LIVE_RESULT_ROWS], lru_next[LIVE_RESULT_ROWS];
    int lru_head, lru_tail;
    /* This batch's row for a view row, turned into JSON at the batch's end. */
    const batch *pend_batch[LIVE_RESULT_ROWS];
    uint32_t pend_row[LIVE_RESULT_ROWS];
    bool dropped;             /* some key written is not shown */
    uint64_t seq[LIVE_RESULT_ROWS]; /* rows are shown in this order: when the
                                       key came into the view */
    uint64_t next_seq;
    bool upsert;              /* the view is kept by view_upsert */
};

live *live_new(void)
{
    live *l = xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&l->changed, &ca);
    pthread_condattr_destroy(&ca);
    return l;
}

static void query_free(live_query *lq)
{
    free(lq->name);
    free(lq->name_json);
    free(lq->chart_json);
    free(lq->columns_json);
    free(lq->types_json);
    free(lq->is_key);
    free(lq->exception);
    rcstr_unref(lq->result);
    for (int i = 0; i < LIVE_PROGRESS_KEEP; i++)
        rcstr_unref(lq->progress[i]);
    for (int i = 0; i < lq->nrows; i++)
        free(lq->rows[i]);
    for (int i = 0; i < LIVE_RESULT_ROWS; i++)
        free(lq->key_bytes[i]);
    free(lq);
}

void live_free(live *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->nqueries; i++)
        query_free(l->queries[i]);
    free(l->queries);
    pthread_cond_destroy(&l->changed);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

/* Under l->lock. */
static void bump(live *l)
{
    l->version++;
    pthread_cond_broadcast(&l->changed);
}

void live_close(live *l)
{
    pthread_mutex_lock(&l->lock);
    l->closed = true;
    bump(l);
    pthread_mutex_unlock(&l->lock);
}

/* ---- grouping keys and chart choice ---------------------------------- */

static bool col_is_key(const query_plan *q, const plan_node *n, int col);

static bool expr_only_keys(const query_plan *q, const expr *e, const plan_node *child)
{
    if (!e)
        return true;
    if (e->kind == EXPR_COLUMN || e->kind == EXPR_AGG_REF)
        return col_is_key(q, child, e->column);
    /* An aggregate is no key; nor is a function without arguments
     * (current_timestamp(), now(): the batch's time, not the key's). */
    if (e->kind == EXPR_CALL && (e->agg || e->nargs == 0))
        return false;
    for (int i = 0; i < e->nargs; i++)
        if (!expr_only_keys(q, e->args[i], child))
            return false;
    return expr_only_keys(q, e->else_expr, child);
}

static bool col_is_key(const query_plan *q, const plan_node *n, int col)
{
    if (!n)
        return false;
    if (n == q->agg)
        return col < n->nkeys;
    switch (n->kind) {
    case PLAN_PROJECT:
        return col < n->nexprs && expr_only_keys(q, n->exprs[col], n->child);
    case PLAN_FILTER:
    case PLAN_SORT:
    case PLAN_LIMIT:
        return col_is_key(q, n->child, col);
    default:
        return false;
    }
}

int live_key_columns(const query_plan *q, bool *is_key)
{
    int n = 0;
    bool keyed = q->agg && !q->agg->dedup && q->agg->nkeys > 0;
    for (int i = 0; i < q->root->out.n; i++) {
        is_key[i] = keyed && col_is_key(q, q->root, i);
        n += is_key[i];
    }
    return n;
}

/* The grouping key that output column `col` of node n shows as it is (a
 * bare reference, or the start or end of a window key, which fixes the
 * window), or -1. */
static int shown_key(const query_plan *q, const plan_node *n, int col)
{
    if (!n)
        return -1;
    if (n == q->agg)
        return col < n->nkeys ? col : -1;
    switch (n->kind) {
    case PLAN_PROJECT: {
        if (col >= n->nexprs)
            return -1;
        const expr *e = n->exprs[col];
        if (e->kind == EXPR_FIELD && e->nargs == 1 && e->args[0]->type == TYPE_WINDOW)
            e = e->args[0];
        if (e->kind == EXPR_COLUMN || e->kind == EXPR_AGG_REF)
            return shown_key(q, n->child, e->column);
        return -1;
    }
    case PLAN_FILTER:
    case PLAN_SORT:
    case PLAN_LIMIT:
        return shown_key(q, n->child, col);
    default:
        return -1;
    }
}

bool live_keys_identify_rows(const query_plan *q)
{
    if (!q->agg || q->agg->dedup || q->agg->nkeys == 0 || q->agg->nkeys > 64)
        return false;
    bool covered[64] = {false};
    for (int i = 0; i < q->root->out.n; i++) {
        int k = shown_key(q, q->root, i);
        if (k >= 0)
            covered[k] = true;
    }
    for (int k = 0; k < q->agg->nkeys; k++)
        if (!covered[k])
            return false;
    return true;
}

static json_t *text_json(const char *p, size_t n);

/* A column name as JSON (names are bytes from the SQL file: not always
 * UTF-8). */
static json_t *name_json(const schema *s, int i)
{
    return text_json(s->fields[i].name, strlen(s->fields[i].name));
}

static bool is_label_type(type_id t)
{
    return t == TYPE_STRING || t == TYPE_DATE || t == TYPE_BOOLEAN;
}

/* The chart object of docs/HTTP.md: the sink's `chart` option, else the
 * result's shape. */
static json_t *choose_chart(const query_plan *q, const bool *is_key)
{
    const schema *s = &q->root->out;
    const char *asked = options_get(&q->sink_opts, "chart");
    json_t *values = json_array();
    int label = -1, time = -1, series = -1, nother = 0;
    for (int i = 0; i < s->n; i++) {
        type_id t = s->fields[i].type;
        if (type_is_numeric(t) && !is_key[i]) {
            json_array_append_new(values, name_json(s, i));
            continue;
        }
        nother++;
        if (t == TYPE_WINDOW && time < 0)
            time = i;
        else if (t == TYPE_TIMESTAMP && is_key[i] && time < 0)
            time = i;
        else if (is_label_type(t) && label < 0)
            label = i;
    }
    const char *type;
    if (asked) {
        type = str_ieq(asked, "bar") ? "bar" : str_ieq(asked, "pie") ? "pie"
               : str_ieq(asked, "donut") ? "donut" : str_ieq(asked, "line") ? "line"
                                                    : "table";
        if (strcmp(type, "table") != 0 && json_array_size(values) == 0)
            type = "table";
        if (strcmp(type, "line") == 0 && time < 0 && label < 0)
            type = "table";
        if (strcmp(type, "line") != 0 && strcmp(type, "table") != 0 && label < 0) {
            for (int i = 0; i < s->n && label < 0; i++)
                if (!(type_is_numeric(s->fields[i].type) && !is_key[i]))
                    label = i;
            if (label < 0)
                type = "table";
        }
    } else if (time >= 0 && json_array_size(values) > 0) {
        type = "line";
    } else if (nother == 1 && label >= 0 && json_array_size(values) > 0) {
        type = "bar";
    } else {
        type = "table";
    }
    json_t *c = json_pack("{s:s}", "type", type);
    if (strcmp(type, "line") == 0) {
        int x = time >= 0 ? time : label;
        for (int i = 0; i < s->n && series < 0; i++)
            if (i != x && is_label_type(s->fields[i].type))
                series = i;
        json_object_set_new(c, "x", name_json(s, x));
        json_object_set_new(c, "series",
                            series >= 0 ? name_json(s, series) : json_null());
        json_object_set(c, "values", values);
    } else if (strcmp(type, "table") != 0) {
        json_object_set_new(c, "label", name_json(s, label));
        json_object_set(c, "values", values);
    }
    json_decref(values);
    return c;
}

/* ---- result views ------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at p (n bytes left), or 0 (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && (p[1] & 0xC0) == 0x80 ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xE0 && p[1] < 0xA0) || (c == 0xED && p[1] >= 0xA0))
            return 0;
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (p[1] & 0xC0) != 0x80 || (p[2] & 0xC0) != 0x80 || (p[3] & 0xC0) != 0x80)
            return 0;
        if ((c == 0xF0 && p[1] < 0x90) || (c == 0xF4 && p[1] >= 0x90))
            return 0;
        return 4;
    }
    return 0;
}

/* Appends p (n bytes) as a JSON string literal; each byte of an invalid
 * UTF-8 sequence becomes U+FFFD. */
static void put_json_text(textbuf *b, const char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *u = (const unsigned char *)p;
    textbuf_putc(b, '"');
    size_t i = 0;
    while (i < n) {
        size_t run = i; /* bytes that go out as they are */
        while (run < n && u[run] >= 0x20 && u[run] < 0x80 && u[run] != '"' && u[run] != '\\')
            run++;
        if (run > i) {
            textbuf_put(b, p + i, run - i);
            i = run;
            continue;
        }
        unsigned c = u[i];
        if (c == '"' || c == '\\') {
            char esc[2] = {'\\', (char)c};
            textbuf_put(b, esc, 2);
            i++;
        } else if (c < 0x20) {
            char esc[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            textbuf_put(b, esc, 6);
            i++;
        } else {
            size_t len = utf8_seq(u + i, n - i);
            if (len) {
                textbuf_put(b, p + i, len);
                i += len;
            } else {
                textbuf_puts(b, "\xEF\xBF\xBD");
                i++;
            }
        }
    }
    textbuf_putc(b, '"');
}

static json_t *text_json(const char *p, size_t n)
{
    json_t *j = json_stringn(p, n);
    if (j)
        return j;
    textbuf b;
    textbuf_init(&b);
    put_json_text(&b, p, n);
    j = json_loadb(b.data, b.len, JSON_DECODE_ANY, NULL);
    textbuf_free(&b);
    return j;
}

/* Appends one cell as JSON (docs/HTTP.md): numbers for int, bigint and
 * double (Java's shortest form, as Spark prints them; NaN and infinities
 * as strings), strings for text, timestamps and dates, {start, end} for a
 * window. */
static void put_cell(textbuf *b, const value *v)
{
    char buf[64];
    int n;
    if (v->is_null) {
        textbuf_puts(b, "null");
        return;
    }
    switch (v->type) {
    case TYPE_BOOLEAN:
        textbuf_puts(b, v->v.b ? "true" : "false");
        return;
    case TYPE_INT:
        n = snprintf(buf, sizeof buf, "%d", (int)v->v.i32);
        break;
    case TYPE_BIGINT:
        n = snprintf(buf, sizeof buf, "%lld", (long long)v->v.i64);
        break;
    case TYPE_DOUBLE:
        n = double_to_text(v->v.f64, buf);
        if (!isfinite(v->v.f64)) {
            put_json_text(b, buf, (size_t)n);
            return;
        }
        break;
    case TYPE_STRING:
        if (v->v.s.len > LIVE_CELL_BYTES) {
            /* Cut at a character boundary, marked with an ellipsis. */
            size_t cut = LIVE_CELL_BYTES;
            while (cut > 0 && ((unsigned char)v->v.s.ptr[cut] & 0xC0) == 0x80)
                cut--;
            textbuf t;
            textbuf_init(&t);
            textbuf_put(&t, v->v.s.ptr, cut);
            textbuf_puts(&t, "\xE2\x80\xA6");
            put_json_text(b, t.data, t.len);
            textbuf_free(&t);
            return;
        }
        put_json_text(b, v->v.s.ptr, v->v.s.len);
        return;
    case TYPE_TIMESTAMP:
        n = ts_format(v->v.i64, buf);
        put_json_text(b, buf, (size_t)n);
        return;
    case TYPE_DATE:
        n = date_format(v->v.i32, buf);
        put_json_text(b, buf, (size_t)n);
        return;
    case TYPE_WINDOW:
        textbuf_puts(b, "{\"start\":");
        n = ts_format(v->v.w.start, buf);
        put_json_text(b, buf, (size_t)n);
        textbuf_puts(b, ",\"end\":");
        n = ts_format(v->v.w.end, buf);
        put_json_text(b, buf, (size_t)n);
        textbuf_putc(b, '}');
        return;
    default:
        textbuf_puts(b, "null");
        return;
    }
    textbuf_put(b, buf, (size_t)n);
}

/* Row r of b as a JSON array text (malloc'd). */
static char *row_text(const batch *b, uint32_t r, int ncols)
{
    textbuf t;
    textbuf_init(&t);
    textbuf_putc(&t, '[');
    for (int c = 0; c < ncols; c++) {
        if (c)
            textbuf_putc(&t, ',');
        value v = column_get(&b->cols[c], r);
        put_cell(&t, &v);
    }
    textbuf_putc(&t, ']');
    return t.data;
}

/* The key of row r of b in update mode: the key columns' values as bytes
 * (a null flag, then the raw value; strings with their length). */
static void row_key(const live_query *lq, const batch *b, uint32_t r, textbuf *k)
{
    k->len = 0;
    textbuf_reserve(k, 0);
    for (int c = 0; c < b->ncols; c++) {
        if (!lq->is_key[c])
            continue;
        value v = column_get(&b->cols[c], r);
        textbuf_putc(k, v.is_null ? 0 : 1);
        if (v.is_null)
            continue;
        if (v.type == TYPE_STRING) {
            textbuf_put(k, (const char *)&v.v.s.len, sizeof v.v.s.len);
            textbuf_put(k, v.v.s.ptr, v.v.s.len);
        } else {
            textbuf_put(k, (const char *)&v.v, sizeof v.v);
        }
    }
}

/* The row showing key k (hash h), or -1; *slot is where it is or would go. */
static int key_find(const live_query *lq, uint64_t h, const textbuf *k, int *slot)
{
    int i = (int)(h & (KEY_SLOTS - 1));
    for (;; i = (i + 1) & (KEY_SLOTS - 1)) {
        int row = lq->slots[i] - 1;
        if (row < 0)
            break;
        if (lq->key_hash[row] == h && lq->key_len[row] == k->len &&
            memcmp(lq->key_bytes[row], k->data, k->len) == 0) {
            *slot = i;
            return row;
        }
    }
    *slot = i;
    return -1;
}

/* Removes row's key from the table (backward-shift deletion, so probes for
 * the keys after it still find them). */
static void key_remove(live_query *lq, int row)
{
    const uint64_t mask = KEY_SLOTS - 1;
    uint64_t i = lq->key_hash[row] & mask;
    while (lq->slots[i] != row + 1)
        i = (i + 1) & mask;
    for (uint64_t j = (i + 1) & mask;; j = (j + 1) & mask) {
        if (lq->slots[j] == 0)
            break;
        uint64_t home = lq->key_hash[lq->slots[j] - 1] & mask;
        /* Move j back into the hole at i unless its home lies in (i, j]. */
        bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!stays) {
            lq->slots[i] = lq->slots[j];
            i = j;
        }
    }
    lq->slots[i] = 0;
}

static void lru_unlink(live_query *lq, int row)
{
    int p = lq->lru_prev[row], n = lq->lru_next[row];
    if (p >= 0)
        lq->lru_next[p] = n;
    else
        lq->lru_head = n;
    if (n >= 0)
        lq->lru_prev[n] = p;
    else
        lq->lru_tail = p;
}

/* Upserts the batch's rows by key, keeping the rows of the
 * LIVE_RESULT_ROWS keys written most recently. The batch is read from its
 * last row back, so each key's last row is met first and the scan ends
 * once that many keys are taken: whatever was written before them could
 * not stay. A key not shown takes a free row, or the row of the shown key
 * written longest ago (its place in the table too). Rows are turned into
 * JSON once, at the end. */
static void view_upsert(live_query *lq, batch *const *parts, int nparts, int ncols)
{
    if (lq->nrows == 0)
        lq->lru_head = lq->lru_tail = -1;
    bool touched[LIVE_RESULT_ROWS] = {false};
    int ntouched = 0, t_head = -1, t_tail = -1; /* the batch's keys, newest first */
    int fresh[LIVE_RESULT_ROWS], nfresh = 0;   /* keys new to the view, newest first */
    lq->upsert = true;
    textbuf k;
    textbuf_init(&k);
    for (int p = nparts - 1; p >= 0; p--) {
        const batch *b = parts[p];
        for (uint32_t r = b->nrows; r-- > 0;) {
            if (ntouched == LIVE_RESULT_ROWS) {
                lq->dropped = true; /* older rows of this batch are not shown */
                goto done;
            }
            row_key(lq, b, r, &k);
            uint64_t h = XXH3_64bits(k.data, k.len);
            int slot, row = key_find(lq, h, &k, &slot);
            if (row >= 0 && touched[row])
                continue; /* a later row of this batch wrote this key */
            if (row >= 0) {
                lru_unlink(lq, row);
            } else {
                if (lq->nrows < LIVE_RESULT_ROWS) {
                    row = lq->nrows++;
                } else {
                    /* Untouched rows are all in the old list, and some are
                     * left: fewer than LIVE_RESULT_ROWS are touched. */
                    row = lq->lru_tail;
                    lq->dropped = true;
                    lru_unlink(lq, row);
                    key_remove(lq, row);
                    key_find(lq, h, &k, &slot); /* the deletion moved slots */
                }
                lq->slots[slot] = row + 1;
                lq->key_hash[row] = h;
                if (k.len > lq->key_cap[row]) {
                    lq->key_cap[row] = (uint32_t)k.len;
                    lq->key_bytes[row] = xrealloc(lq->key_bytes[row], k.len);
                }
                lq->key_len[row] = (uint32_t)k.len;
                memcpy(lq->key_bytes[row], k.data, k.len);
                fresh[nfresh++] = row;
            }
            /* Append to the batch's list: later rows were met first. */
            lq->lru_prev[row] = t_tail;
            lq->lru_next[row] = -1;
            if (t_tail >= 0)
                lq->lru_next[t_tail] = row;
            else
                t_head = row;
            t_tail = row;
            touched[row] = true;
            ntouched++;
            lq->pend_batch[row] = b;
            lq->pend_row[row] = r;
        }
    }
done:
    textbuf_free(&k);
    /* New keys go after the ones shown, in the order of their last rows. */
    for (int j = 0; j < nfresh; j++)
        lq->seq[fresh[j]] = lq->next_seq + (uint64_t)(nfresh - 1 - j);
    lq->next_seq += (uint64_t)nfresh;
    /* The batch's keys, newest first, then the older ones. */
    if (t_head >= 0) {
        lq->lru_next[t_tail] = lq->lru_head;
        if (lq->lru_head >= 0)
            lq->lru_prev[lq->lru_head] = t_tail;
        else
            lq->lru_tail = t_tail;
        lq->lru_head = t_head;
    }
    for (int row = 0; row < lq->nrows; row++) {
        if (!touched[row])
            continue;
        free(lq->rows[row]);
        lq->rows[row] = row_text(lq->pend_batch[row], lq->pend_row[row], ncols);
    }
}

static void view_clear(live_query *lq)
{
    for (int i = 0; i < lq->nrows; i++)
        free(lq->rows[i]);
    lq->nrows = 0;
    lq->head = 0;
}

static void view_update(live_query *lq, batch *const *parts, int nparts, int64_t table_rows)
{
    int ncols = lq->q->root->out.n;
    uint64_t n = 0;
    for (int p = 0; p < nparts; p++)
        n += parts[p]->nrows;
    output_mode mode = lq->q->mode;
    if (mode == OUTPUT_UPDATE && lq->nkeys == 0)
        mode = OUTPUT_APPEND;
    if (mode == OUTPUT_COMPLETE) {
        view_clear(lq);
        lq->total_rows = n;
        for (int p = 0; p < nparts && lq->nrows < LIVE_RESULT_ROWS; p++)
            for (uint32_t r = 0; r < parts[p]->nrows && lq->nrows < LIVE_RESULT_ROWS; r++)
                lq->rows[lq->nrows++] = row_text(parts[p], r, ncols);
    } else if (mode == OUTPUT_APPEND) {
        /* Only the batch's last LIVE_RESULT_ROWS rows can stay. */
        uint64_t skip = n > LIVE_RESULT_ROWS ? n - LIVE_RESULT_ROWS : 0;
        lq->total_rows += n;
        for (int p = 0; p < nparts; p++) {
            const batch *b = parts[p];
            uint32_t r = 0;
            if (skip >= b->nrows) {
                skip -= b->nrows;
                continue;
            }
            r = (uint32_t)skip;
            skip = 0;
            for (; r < b->nrows; r++) {
                char *row = row_text(b, r, ncols);
                if (lq->nrows < LIVE_RESULT_ROWS) {
                    lq->rows[(lq->head + lq->nrows++) % LIVE_RESULT_ROWS] = row;
                } else {
                    free(lq->rows[lq->head]);
                    lq->rows[lq->head] = row;
                    lq->head = (lq->head + 1) % LIVE_RESULT_ROWS;
                }
            }
        }
    } else {
        view_upsert(lq, parts, nparts, ncols);
        lq->total_rows = table_rows > lq->nrows ? (uint64_t)table_rows : (uint64_t)lq->nrows;
    }
}

static int by_seq(const void *a, const void *b, void *ctx)
{
    const live_query *lq = ctx;
    uint64_t x = lq->seq[*(const int *)a], y = lq->seq[*(const int *)b];
    return (x > y) - (x < y);
}

static char *result_text(const live_query *lq, int64_t batch_id)
{
    char num[32];
    textbuf b;
    textbuf_init(&b);
    textbuf_puts(&b, "{\"name\":");
    textbuf_puts(&b, lq->name_json);
    snprintf(num, sizeof num, "%lld", (long long)batch_id);
    textbuf_puts(&b, ",\"batchId\":");
    textbuf_puts(&b, num);
    textbuf_puts(&b, ",\"columns\":");
    textbuf_puts(&b, lq->columns_json);
    textbuf_puts(&b, ",\"types\":");
    textbuf_puts(&b, lq->types_json);
    textbuf_puts(&b, ",\"rows\":[");
    int order[LIVE_RESULT_ROWS];
    for (int i = 0; i < lq->nrows; i++)
        order[i] = (lq->head + i) % LIVE_RESULT_ROWS;
    if (lq->upsert)
        qsort_r(order, (size_t)lq->nrows, sizeof order[0], by_seq, (void *)lq);
    for (int i = 0; i < lq->nrows; i++) {
        if (i)
            textbuf_putc(&b, ',');
        textbuf_puts(&b, lq->rows[order[i]]);
    }
    snprintf(num, sizeof num, "%llu", (unsigned long long)lq->total_rows);
    textbuf_puts(&b, "],\"totalRows\":");
    textbuf_puts(&b, num);
    textbuf_puts(&b, ",\"truncated\":");
    textbuf_puts(&b, lq->dropped || lq->total_rows > (uint64_t)lq->nrows ? "true}" : "false}");
    return b.data;
}

live_query *live_add(live *l, const query_plan *q, const char *id, const char *run_id)
{
    live_query *lq = xcalloc(1, sizeof *lq);
    lq->l = l;
    lq->q = q;
    lq->name = xstrdup(q->name);
    textbuf nb;
    textbuf_init(&nb);
    put_json_text(&nb, q->name, strlen(q->name));
    lq->name_json = nb.data;
    snprintf(lq->id, sizeof lq->id, "%s", id);
    snprintf(lq->run_id, sizeof lq->run_id, "%s", run_id);
    lq->is_key = xcalloc((size_t)q->root->out.n + 1, sizeof *lq->is_key);
    lq->nkeys = live_key_columns(q, lq->is_key);
    /* Upserting on key columns that do not tell the groups apart (a
     * grouping key left out of the SELECT, or shown through a function that
     * may merge values, like upper()) would merge rows: keep the rows as
     * they come, as append does. */
    if (!live_keys_identify_rows(q))
        lq->nkeys = 0;
    const schema *rs = &q->root->out;
    json_t *cols = json_array(), *types = json_array();
    for (int i = 0; i < rs->n; i++) {
        json_array_append_new(cols, name_json(rs, i));
        json_array_append_new(types, json_string(type_name(rs->fields[i].type)));
    }
    lq->columns_json = json_dumps(cols, JSON_COMPACT);
    lq->types_json = json_dumps(types, JSON_COMPACT);
    json_decref(cols);
    json_decref(types);
    json_t *chart = choose_chart(q, lq->is_key);
    lq->chart_json = json_dumps(chart, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(chart);
    lq->status = LIVE_ACTIVE;
    lq->result_batch = -1;
    lq->result = rcstr_take(result_text(lq, -1));
    pthread_mutex_lock(&l->lock);
    if (l->nqueries == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 8;
        l->queries = xrealloc(l->queries, sizeof *l->queries * (size_t)l->cap);
    }
    l->queries[l->nqueries++] = lq;
    lq->status_version = 1;
    bump(l);
    pthread_mutex_unlock(&l->lock);
    return lq;
}

void live_publish_result(live_query *lq, int64_t batch_id, batch *const *parts, int nparts,
                         int64_t table_rows)
{
    view_update(lq, parts, nparts, table_rows);
    rcstr *fresh = rcstr_take(result_text(lq, batch_id));
    live *l = lq->l;
    pthread_mutex_lock(&l->lock);
    rcstr *old = lq->result;
    lq->result = fresh;
    lq->result_batch = batch_id;
    lq->result_version++;
    /* No wake-up: the batch's progress report follows and wakes the event
     * streams for both (one send, not two, under the rate limit). */
    pthread_mutex_unlock(&l->lock);
    rcstr_unref(old);
}

void live_publish_progress(live_query *lq, char *text)
{
    rcstr *fresh = rcstr_take(text);
    live *l = lq->l;
    pthread_mutex_lock(&l->lock);
    rcstr **slot = &lq->progress[lq->nprogress % LIVE_PROGRESS_KEEP];
    rcstr *old = *slot;
    *slot = fresh;
    lq->nprogress++;
    bump(l);
    pthread_mutex_unlock(&l->lock);
    rcstr_unref(old);
}

void live_set_status(live_query *lq, live_status status, const char *exception)
{
    char *text = exception ? xstrdup(exception) : NULL;
    live *l = lq->l;
    pthread_mutex_lock(&l->lock);
    char *old = lq->exception;
    lq->status = status;
    lq->exception = text;
    lq->status_version++;
    bump(l);
    pthread_mutex_unlock(&l->lock);
    free(old);
}

/* ---- readers ----------------------------------------------------------- */

static const char *const status_names[] = {"ACTIVE", "STOPPED", "FAILED"};

static live_query *find_query(live *l, const char *name)
{
    for (int i = 0; i < l->nqueries; i++)
        if (str_ieq(l->queries[i]->name, name))
            return l->queries[i];
    return NULL;
}

static void put_json_string(textbuf *b, const char *s)
{
    if (s)
        put_json_text(b, s, strlen(s));
    else
        textbuf_puts(b, "null");
}

/* The status event's data, under l->lock. */
static void put_status(textbuf *b, const live_query *lq)
{
    textbuf_puts(b, "{\"name\":");
    textbuf_puts(b, lq->name_json);
    textbuf_puts(b, ",\"status\":\"");
    textbuf_puts(b, status_names[lq->status]);
    textbuf_puts(b, "\",\"exception\":");
    put_json_string(b, lq->exception);
    textbuf_putc(b, '}');
}

char *live_queries_json(live *l, size_t *len)
{
    textbuf b;
    textbuf_init(&b);
    textbuf_puts(&b, "{\"queries\":[");
    pthread_mutex_lock(&l->lock);
    for (int i = 0; i < l->nqueries; i++) {
        const live_query *lq = l->queries[i];
        if (i)
            textbuf_putc(&b, ',');
        textbuf_puts(&b, "{\"name\":");
        textbuf_puts(&b, lq->name_json);
        textbuf_puts(&b, ",\"id\":\"");
        textbuf_puts(&b, lq->id);
        textbuf_puts(&b, "\",\"runId\":\"");
        textbuf_puts(&b, lq->run_id);
        textbuf_puts(&b, "\",\"status\":\"");
        textbuf_puts(&b, status_names[lq->status]);
        textbuf_puts(&b, "\",\"exception\":");
        put_json_string(&b, lq->exception);
        textbuf_puts(&b, ",\"outputMode\":\"");
        textbuf_puts(&b, output_mode_name(lq->q->mode));
        textbuf_puts(&b, "\",\"sink\":");
        put_json_string(&b, lq->q->sink->name);
        textbuf_puts(&b, ",\"chart\":");
        textbuf_puts(&b, lq->chart_json);
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)lq->result_batch);
        textbuf_puts(&b, ",\"batchId\":");
        textbuf_puts(&b, num);
        textbuf_puts(&b, ",\"lastProgress\":");
        if (lq->nprogress)
            textbuf_puts(&b, lq->progress[(lq->nprogress - 1) % LIVE_PROGRESS_KEEP]->text);
        else
            textbuf_puts(&b, "null");
        textbuf_putc(&b, '}');
    }
    pthread_mutex_unlock(&l->lock);
    textbuf_puts(&b, "]}");
    *len = b.len;
    return b.data;
}

char *live_progress_json(live *l, const char *name, size_t *len)
{
    rcstr *refs[LIVE_PROGRESS_KEEP];
    int n = 0;
    pthread_mutex_lock(&l->lock);
    live_query *lq = find_query(l, name);
    if (lq) {
        uint64_t from = lq->nprogress > LIVE_PROGRESS_KEEP ? lq->nprogress - LIVE_PROGRESS_KEEP : 0;
        for (uint64_t k = from; k < lq->nprogress; k++)
            refs[n++] = rcstr_ref(lq->progress[k % LIVE_PROGRESS_KEEP]);
    }
    pthread_mutex_unlock(&l->lock);
    if (!lq)
        return NULL;
    textbuf b;
    textbuf_init(&b);
    textbuf_putc(&b, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            textbuf_putc(&b, ',');
        textbuf_put(&b, refs[i]->text, refs[i]->len);
        rcstr_unref(refs[i]);
    }
    textbuf_putc(&b, ']');
    *len = b.len;
    return b.data;
}

char *live_result_json(live *l, const char *name, size_t *len)
{
    pthread_mutex_lock(&l->lock);
    live_query *lq = find_query(l, name);
    rcstr *r = lq ? rcstr_ref(lq->result) : NULL;
    pthread_mutex_unlock(&l->lock);
    if (!r)
        return NULL;
    char *text = xmalloc(r->len + 1);
    memcpy(text, r->text, r->len + 1);
    *len = r->len;
    rcstr_unref(r);
    return text;
}

/* ---- event cursors ----------------------------------------------------- */

typedef struct seen {
    uint64_t status_version, result_version, nprogress;
} seen;

struct live_cursor {
    live *l;
    uint64_t version;   /* l->version last looked at */
    seen *seen;         /* per query */
    int nseen;
    int64_t last_send_us;
};

live_cursor *live_cursor_new(live *l)
{
    live_cursor *c = xcalloc(1, sizeof *c);
    c->l = l;
    pthread_mutex_lock(&l->lock);
    c->version = l->version;
    c->nseen = l->nqueries;
    c->seen = xcalloc((size_t)c->nseen + 1, sizeof *c->seen);
    for (int i = 0; i < l->nqueries; i++) {
        c->seen[i].status_version = l->queries[i]->status_version;
        c->seen[i].result_version = l->queries[i]->result_version;
        c->seen[i].nprogress = l->queries[i]->nprogress;
    }
    pthread_mutex_unlock(&l->lock);
    return c;
}

void live_cursor_free(live_cursor *c)
{
    if (!c)
        return;
    free(c->seen);
    free(c);
}

static void put_event(textbuf *b, const char *event, const char *data, size_t len)
{
    textbuf_puts(b, "event: ");
    textbuf_puts(b, event);
    textbuf_puts(b, "\ndata: ");
    textbuf_put(b, data, len);
    textbuf_puts(b, "\n\n");
}

int live_cursor_next(live_cursor *c, int wait_ms, char **out, size_t *len)
{
    live *l = c->l;
    pthread_mutex_lock(&l->lock);
    bool closing = l->closed;
    pthread_mutex_unlock(&l->lock);
    int64_t since = mono_us() - c->last_send_us;
    if (!closing && c->last_send_us && since < SEND_INTERVAL_MS * 1000) {
        struct timespec ts = {0, (long)(SEND_INTERVAL_MS * 1000 - since) * 1000};
        nanosleep(&ts, NULL);
    }
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    deadline.tv_sec += wait_ms / 1000;
    deadline.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }

    textbuf status;       /* status events, formatted under the lock */
    textbuf_init(&status);
    rcstr **refs = NULL;  /* progress and result texts, formatted outside */
    int *kinds = NULL;
    const live_query **owner = NULL;
    int nrefs = 0, cap = 0;

    pthread_mutex_lock(&l->lock);
    while (l->version == c->version && !l->closed) {
        if (pthread_cond_timedwait(&l->changed, &l->lock, &deadline) == ETIMEDOUT)
            break;
    }
    bool closed = l->closed;
    c->version = l->version;
    if (l->nqueries > c->nseen) {
        c->seen = xrealloc(c->seen, sizeof *c->seen * (size_t)l->nqueries);
        memset(c->seen + c->nseen, 0, sizeof *c->seen * (size_t)(l->nqueries - c->nseen));
        c->nseen = l->nqueries;
    }
    for (int i = 0; i < l->nqueries; i++) {
        live_query *lq = l->queries[i];
        seen *s = &c->seen[i];
        if (s->status_version != lq->status_version) {
            textbuf_puts(&status, "event: status\ndata: ");
            put_status(&status, lq);
            textbuf_puts(&status, "\n\n");
            s->status_version = lq->status_version;
        }
        uint64_t from = s->nprogress;
        if (lq->nprogress - from > LIVE_PROGRESS_BURST)
            from = lq->nprogress - LIVE_PROGRESS_BURST;
        int want = (int)(lq->nprogress - from) + (s->result_version != lq->result_version);
        if (nrefs + want > cap) {
            cap = (nrefs + want) * 2;
            refs = xrealloc(refs, sizeof *refs * (size_t)cap);
            kinds = xrealloc(kinds, sizeof *kinds * (size_t)cap);
            owner = xrealloc(owner, sizeof *owner * (size_t)cap);
        }
        for (uint64_t k = from; k < lq->nprogress; k++) {
            kinds[nrefs] = 0;
            owner[nrefs] = lq;
            refs[nrefs++] = rcstr_ref(lq->progress[k % LIVE_PROGRESS_KEEP]);
        }
        s->nprogress = lq->nprogress;
        if (s->result_version != lq->result_version) {
            kinds[nrefs] = 1;
            owner[nrefs] = lq;
            refs[nrefs++] = rcstr_ref(lq->result);
            s->result_version = lq->result_version;
        }
    }
    pthread_mutex_unlock(&l->lock);

    /* Status last: a client that stops reading at STOPPED or FAILED has
     * the query's last progress and result by then. */
    textbuf b;
    textbuf_init(&b);
    for (int i = 0; i < nrefs; i++) {
        if (kinds[i] == 0) {
            textbuf_puts(&b, "event: progress\ndata: {\"name\":");
            textbuf_puts(&b, owner[i]->name_json); /* immutable once added */
            textbuf_puts(&b, ",\"progress\":");
            textbuf_put(&b, refs[i]->text, refs[i]->len);
            textbuf_puts(&b, "}\n\n");
        } else {
            put_event(&b, "result", refs[i]->text, refs[i]->len);
        }
        rcstr_unref(refs[i]);
    }
    free(refs);
    free(kinds);
    free(owner);
    if (status.len)
        textbuf_put(&b, status.data, status.len);
    textbuf_free(&status);
    if (b.len == 0) {
        textbuf_free(&b);
        return closed ? -1 : 0;
    }
    c->last_send_us = mono_us();
    *out = b.data;
    *len = b.len;
    return 1;
}
