/* The SQL front end's output: one statement list per pipeline file. Built by
 * sql_parse (sql/parser.h) in the caller's arena; every node and string lives
 * there. Expressions are plan/expr.h trees, unresolved. */
#ifndef SQL_AST_H
#define SQL_AST_H

#include <stdbool.h>

#include "core/arena.h"
#include "core/options.h"
#include "core/types.h"
#include "plan/expr.h"

typedef enum stmt_kind {
    STMT_SET,
    STMT_CREATE_SOURCE,
    STMT_CREATE_TABLE,
    STMT_CREATE_VIEW,
    STMT_CREATE_SINK,
} stmt_kind;

/* A column definition in CREATE SOURCE/TABLE. */
typedef struct ast_column {
    const char *name;
    type_id type;
    int line, col;
} ast_column;

typedef struct ast_select_item {
    expr *e;           /* may be EXPR_STAR */
    const char *alias; /* AS name, or NULL */
    int line, col;
} ast_select_item;

typedef struct ast_order_item {
    expr *e;
    bool desc;
    int nulls; /* 0: default (ASC -> NULLS FIRST, DESC -> NULLS LAST, Spark),
                  1: NULLS FIRST, 2: NULLS LAST */
} ast_order_item;

typedef enum join_kind { JOIN_NONE, JOIN_INNER, JOIN_LEFT } join_kind;

typedef struct ast_from {
    const char *name;  /* source, table or view */
    const char *alias; /* or NULL */
    int line, col;
} ast_from;

typedef struct ast_select {
    bool distinct;
    ast_select_item *items;
    int nitems;
    ast_from from;
    join_kind join;      /* JOIN_NONE when there is no join */
    ast_from join_table;
    expr *join_on;
    expr *where;         /* or NULL */
    expr **group_by;
    int ngroup_by;
    expr *having;        /* or NULL */
    ast_order_item *order_by;
    int norder_by;
    long long limit;     /* -1 when absent */
    int line, col;       /* position of SELECT */
    int limit_line, limit_col, order_line, order_col; /* for mode errors */
} ast_select;

typedef struct ast_stmt {
    stmt_kind kind;
    int line, col;       /* position of the statement's first token */
    const char *name;    /* SET key; CREATE ... name */
    int name_line, name_col;
    const char *value;   /* SET value (literal text, unquoted) */

    /* CREATE SOURCE / TABLE: column list (may be empty when the schema comes
     * from the `schema` option as a DDL string). */
    ast_column *columns;
    int ncolumns;
    /* WATERMARK FOR wm_column AS wm_column - INTERVAL wm_delay */
    const char *wm_column;
    long long wm_delay_us; /* -1 when no watermark */
    int wm_line, wm_col;

    options opts;        /* WITH (...) */

    ast_select *select;  /* VIEW and SINK */
} ast_stmt;

typedef struct ast_file {
    ast_stmt *stmts;
    int nstmts;
} ast_file;

#endif
