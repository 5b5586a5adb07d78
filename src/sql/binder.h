/* The binder: turns a parsed pipeline file (sql/ast.h) into a catalog of
 * sources, tables and views plus one bound logical plan per CREATE SINK
 * (plan/plan.h), resolving names, functions and types with Spark's rules and
 * checking output modes (SPEC §3) before anything runs. */
#ifndef SQL_BINDER_H
#define SQL_BINDER_H

#include "core/arena.h"
#include "core/options.h"
#include "core/types.h"
#include "eddy.h"
#include "io/source.h"
#include "plan/plan.h"
#include "sql/ast.h"

typedef struct catalog_source {
    const char *name;
    schema schema;           /* owned */
    options opts;            /* owned copy of WITH */
    const source_ops *ops;
    int wm_column;           /* schema index of the watermark column, or -1 */
    int64_t wm_delay_us;
    int line, col;
} catalog_source;

typedef struct catalog_table {
    const char *name;
    schema schema;           /* owned */
    options opts;            /* owned */
    int line, col;
} catalog_table;

typedef struct catalog_view {
    const char *name;
    const ast_select *select;
    int line, col;
} catalog_view;

typedef struct bound_pipeline {
    options settings;        /* SET statements (and -D), owned */
    catalog_source *sources;
    int nsources;
    catalog_table *tables;
    int ntables;
    catalog_view *views;
    int nviews;
    query_plan *queries;     /* one per CREATE SINK, in file order */
    int nqueries;
} bound_pipeline;

/* Binds every statement of f. `text` and `file_name` are used for error
 * messages (SPEC §1 format via sql_error_at); plan nodes and expressions go
 * into arena a (which must outlive *out). `presets` are SET values applied
 * before the file (the CLI's -D). Returns 0 or -EDDY_SQL with err set; on
 * error *out is left empty (nothing to free). */
int sql_bind(const ast_file *f, const char *text, const char *file_name, const options *presets,
             arena *a, bound_pipeline *out, eddy_error *err);

/* Frees what a bound pipeline owns outside its arena. */
void bound_pipeline_free(bound_pipeline *p);

#endif
