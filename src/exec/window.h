/* Event-time windows: the window column that window() and session_window()
 * add to every row before a streaming aggregation groups by it (Spark's
 * TimeWindowing and SessionWindowing analyzer rules, which rewrite
 * window(ts, ...) into a Project, or an Expand plus Filter for sliding
 * windows, adding a `window` struct column). */
#ifndef EXEC_WINDOW_H
#define EXEC_WINDOW_H

#include <stddef.h>
#include <stdint.h>

#include "core/types.h"
#include "eddy.h"
#include "exec/func.h"
#include "plan/expr.h"

/* Checks window(ts, size, slide, start) durations (µs) with Spark's
 * TimeWindow.checkInputDataTypes rules: size > 0, slide > 0, slide <= size,
 * |start| < slide. Returns 0, or -1 with a message naming the rule in msg
 * (cap bytes). */
int time_window_check(int64_t size_us, int64_t slide_us, int64_t start_us, char *msg,
                      size_t cap);

/* The start of the latest window [s, s + size) with s = start + k * slide
 * that contains ts (µs): ts - ((ts - start) mod slide), with the remainder
 * taken non-negative, so times before the epoch and negative start offsets
 * land in the right window (Spark 3.3+, SPARK-38069). */
int64_t time_window_last_start(int64_t ts_us, int64_t slide_us, int64_t start_us);

/* Adds the window column to `in`: for every row whose time_col value is not
 * NULL, one output row per window [s, s + size) with s = start + k * slide
 * that contains the time, latest window first (Spark's Expand order; one row
 * for tumbling windows). Output columns: in's columns, then the window
 * (TYPE_WINDOW). Rows with a NULL time are dropped, as in Spark. Sets *out
 * to a new batch; it may take over `in`'s column arrays (then `in` is left
 * with 0 rows), and its strings point where `in`'s did, so the caller keeps
 * `in` alive while *out is used. Returns 0 or a negative eddy_code with err
 * set (from evaluating time_col). */
int op_time_window(const expr *time_col, int64_t size_us, int64_t slide_us, int64_t start_us,
                   batch *in, func_ctx *ctx, batch **out, eddy_error *err);

/* Adds each row's own session window [ts, ts + gap) as the last column
 * (Spark's SessionWindowing: sessions are merged later, per key, by the
 * aggregation's state; see exec/session_agg.h). Rows with a NULL time are
 * dropped. Same ownership rules as op_time_window. */
int op_session_window(const expr *time_col, int64_t gap_us, batch *in, func_ctx *ctx,
                      batch **out, eddy_error *err);

#endif
