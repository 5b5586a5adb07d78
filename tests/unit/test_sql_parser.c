/* Unit tests for the SQL front end: lexer, parser, positioned errors, DDL
 * schema strings, and the expression helpers of plan/expr.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/arena.h"
#include "core/types.h"
#include "plan/expr.h"
#include "sql/parser.h"

/* ---- helpers ----------------------------------------------------------- */

static void parse_ok(arena *a, const char *sql, ast_file *f)
{
    eddy_error err = {0};
    int rc = sql_parse(sql, "t.sql", a, f, &err);
    if (rc != 0)
        fail_msg("unexpected error: %s", err.message);
}

static void expect_error(const char *sql, const char *expected)
{
    arena *a = arena_new(0);
    ast_file f = {0};
    eddy_error err = {0};
    int rc = sql_parse(sql, "t.sql", a, &f, &err);
    assert_int_equal(rc, -EDDY_SQL);
    assert_int_equal(err.code, EDDY_SQL);
    assert_string_equal(err.message, expected);
    assert_null(f.stmts);
    assert_int_equal(f.nstmts, 0);
    arena_free(a);
}

/* Parses "CREATE VIEW v AS SELECT <item> FROM t" and returns the item's
 * expression (it lives in `a`). */
static expr *item_expr(arena *a, const char *item)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "CREATE VIEW v AS SELECT %s FROM t", item);
    ast_file f;
    parse_ok(a, sql, &f);
    assert_int_equal(f.nstmts, 1);
    assert_int_equal(f.stmts[0].select->nitems, 1);
    expr *e = f.stmts[0].select->items[0].e;
    ast_file_free(&f);
    return e;
}

static const char *explain(arena *a, const char *item)
{
    static char buf[1024];
    expr_to_string(item_expr(a, item), buf, sizeof buf);
    return buf;
}

static const char *name_of(arena *a, const char *item)
{
    return expr_default_name(a, item_expr(a, item));
}

/* ---- statements -------------------------------------------------------- */

static void test_set(void **state)
{
    arena *a = arena_new(0);
    ast_file f;
    parse_ok(a,
             "SET spark.sql.shuffle.partitions = 4;\n"
             "set 'my.key' = 'a b';\n"
             "SET trigger = 5 seconds;\n"
             "SET flag = true",
             &f);
    assert_int_equal(f.nstmts, 4);
    assert_int_equal(f.stmts[0].kind, STMT_SET);
    assert_string_equal(f.stmts[0].name, "spark.sql.shuffle.partitions");
    assert_string_equal(f.stmts[0].value, "4");
    assert_int_equal(f.stmts[0].name_line, 1);
    assert_int_equal(f.stmts[0].name_col, 5);
    assert_string_equal(f.stmts[1].name, "my.key");
    assert_string_equal(f.stmts[1].value, "a b");
    assert_int_equal(f.stmts[1].line, 2);
    assert_string_equal(f.stmts[2].value, "5 seconds");
    assert_string_equal(f.stmts[3].value, "true");
    ast_file_free(&f);
    arena_free(a);
}

static void test_create_source(void **state)
{
    arena *a = arena_new(0);
    ast_file f;
    parse_ok(a,
             "CREATE SOURCE votes (\n"
             "  vote_id   STRING,\n"
             "  timestamp TIMESTAMP,\n"
             "  state     STRING,\n"
             "  age_group STRING,\n"
             "  candidate STRING,\n"
             "  WATERMARK FOR timestamp AS timestamp - INTERVAL 10 SECONDS\n"
             ") WITH (format = 'json', path = 'vote_stream', maxFilesPerTrigger = 10,\n"
             "        'kafka.bootstrap.servers' = 'localhost:9092', header = TRUE,\n"
             "        startingOffsets = earliest, ratio = -1.5);",
             &f);
    assert_int_equal(f.nstmts, 1);
    ast_stmt *s = &f.stmts[0];
    assert_int_equal(s->kind, STMT_CREATE_SOURCE);
    assert_string_equal(s->name, "votes");
    assert_int_equal(s->name_line, 1);
    assert_int_equal(s->name_col, 15);
    assert_int_equal(s->ncolumns, 5);
    assert_string_equal(s->columns[1].name, "timestamp");
    assert_int_equal(s->columns[1].type, TYPE_TIMESTAMP);
    assert_int_equal(s->columns[1].line, 3);
    assert_int_equal(s->columns[1].col, 3);
    assert_int_equal(s->columns[4].type, TYPE_STRING);
    assert_string_equal(s->wm_column, "timestamp");
    assert_int_equal(s->wm_delay_us, 10000000);
    assert_int_equal(s->wm_line, 7);
    assert_int_equal(s->wm_col, 17);
    assert_int_equal(s->opts.n, 7);
    assert_string_equal(options_get(&s->opts, "format"), "json");
    assert_string_equal(options_get(&s->opts, "maxfilespertrigger"), "10");
    assert_string_equal(options_get(&s->opts, "kafka.bootstrap.servers"), "localhost:9092");
    assert_string_equal(options_get(&s->opts, "header"), "true");
    assert_string_equal(options_get(&s->opts, "startingOffsets"), "earliest");
    assert_string_equal(options_get(&s->opts, "ratio"), "-1.5");
    const option_kv *kv = options_find(&s->opts, "path");
    assert_non_null(kv);
    assert_int_equal(kv->line, 8);
    assert_int_equal(kv->col, 26);
    assert_null(s->select);
    ast_file_free(&f);
    arena_free(a);
}

static void test_create_source_schema_option(void **state)
{
    arena *a = arena_new(0);
    ast_file f;
    parse_ok(a,
             "CREATE SOURCE events WITH (format = 'csv', path = 'data/input', header = true,\n"
             "  schema = 'timestamp STRING, user_id INT, event STRING')",
             &f);
    ast_stmt *s = &f.stmts[0];
    assert_int_equal(s->kind, STMT_CREATE_SOURCE);
    assert_int_equal(s->ncolumns, 0);
    assert_int_equal(s->wm_delay_us, -1);
    assert_null(s->wm_column);
    assert_string_equal(options_get(&s->opts, "schema"), "timestamp STRING, user_id INT, event STRING");
    ast_file_free(&f);
    arena_free(a);
}

static void test_create_table_view_sink(void **state)
{
    arena *a = arena_new(0);
    ast_file f;
    parse_ok(a,
             "CREATE TABLE states (state STRING, region STRING)        -- static table\n"
             "  WITH (format = 'csv', path = 'states.csv', header = true);\n"
             "CREATE VIEW recent AS SELECT * FROM votes WHERE age_group <> '18-24';\n"
             "CREATE SINK votes_per_candidate\n"
             "  WITH (format = 'console', outputMode = 'complete', trigger = '5 seconds')\n"
             "  AS SELECT candidate, count(*) AS votes FROM votes GROUP BY candidate\n"
             "     ORDER BY votes DESC;\n"
             "CREATE SINK bare AS SELECT a FROM t;",
             &f);
    assert_int_equal(f.nstmts, 4);
    assert_int_equal(f.stmts[0].kind, STMT_CREATE_TABLE);
    assert_int_equal(f.stmts[0].ncolumns, 2);
    assert_string_equal(f.stmts[0].columns[1].name, "region");
    assert_string_equal(options_get(&f.stmts[0].opts, "header"), "true");

    ast_stmt *v = &f.stmts[1];
    assert_int_equal(v->kind, STMT_CREATE_VIEW);
    assert_string_equal(v->name, "recent");
    assert_int_equal(v->select->nitems, 1);
    assert_int_equal(v->select->items[0].e->kind, EXPR_STAR);
    assert_null(v->select->items[0].e->qualifier);
    assert_string_equal(v->select->from.name, "votes");
    assert_int_equal(v->select->where->kind, EXPR_BINARY);
    assert_int_equal(v->select->where->op, OP_NE);
    assert_int_equal(v->select->line, 3);
    assert_int_equal(v->select->col, 23);

    ast_stmt *k = &f.stmts[2];
    assert_int_equal(k->kind, STMT_CREATE_SINK);
    assert_int_equal(k->line, 4);
    assert_string_equal(options_get(&k->opts, "outputMode"), "complete");
    assert_string_equal(options_get(&k->opts, "trigger"), "5 seconds");
    ast_select *q = k->select;
    assert_int_equal(q->nitems, 2);
    assert_string_equal(q->items[1].alias, "votes");
    assert_int_equal(q->items[1].e->kind, EXPR_CALL);
    assert_true(q->items[1].e->star_arg);
    assert_int_equal(q->ngroup_by, 1);
    assert_int_equal(q->norder_by, 1);
    assert_true(q->order_by[0].desc);
    assert_int_equal(q->order_by[0].nulls, 0);
    assert_int_equal(q->order_line, 7);
    assert_int_equal(q->order_col, 6);
    assert_int_equal(q->limit, -1);
    assert_int_equal(f.stmts[3].opts.n, 0);
    assert_non_null(f.stmts[3].select);
    ast_file_free(&f);
    arena_free(a);
}

static void test_select_clauses(void **state)
{
    arena *a = arena_new(0);
    ast_file f;
    parse_ok(a,
             "CREATE VIEW v AS SELECT DISTINCT v.state, s.*, r.region AS reg, upper(v.candidate) c\n"
             "FROM votes AS v LEFT OUTER JOIN states s ON v.state = s.state\n"
             "WHERE v.age_group IS NOT NULL\n"
             "GROUP BY v.state, r.region HAVING count(*) > 10\n"
             "ORDER BY 1 ASC NULLS LAST, reg DESC NULLS FIRST\n"
             "LIMIT 5",
             &f);
    ast_select *q = f.stmts[0].select;
    assert_true(q->distinct);
    assert_int_equal(q->nitems, 4);
    assert_int_equal(q->items[0].e->kind, EXPR_IDENT);
    assert_string_equal(q->items[0].e->qualifier, "v");
    assert_string_equal(q->items[0].e->name, "state");
    assert_int_equal(q->items[1].e->kind, EXPR_STAR);
    assert_string_equal(q->items[1].e->qualifier, "s");
    assert_string_equal(q->items[2].alias, "reg");
    assert_string_equal(q->items[3].alias, "c");
    assert_int_equal(q->items[3].line, 1);
    assert_int_equal(q->items[3].col, 65);
    assert_string_equal(q->from.name, "votes");
    assert_string_equal(q->from.alias, "v");
    assert_int_equal(q->join, JOIN_LEFT);
    assert_string_equal(q->join_table.name, "states");
    assert_string_equal(q->join_table.alias, "s");
    assert_int_equal(q->join_table.line, 2);
    assert_int_equal(q->join_table.col, 33);
    assert_int_equal(q->join_on->op, OP_EQ);
    assert_int_equal(q->where->kind, EXPR_IS_NULL);
    assert_true(q->where->negated);
    assert_int_equal(q->ngroup_by, 2);
    assert_int_equal(q->having->op, OP_GT);
    assert_int_equal(q->norder_by, 2);
    assert_false(q->order_by[0].desc);
    assert_int_equal(q->order_by[0].nulls, 2);
    assert_true(q->order_by[1].desc);
    assert_int_equal(q->order_by[1].nulls, 1);
    assert_int_equal(q->limit, 5);
    assert_int_equal(q->limit_line, 6);
    assert_int_equal(q->limit_col, 1);
    ast_file_free(&f);

    parse_ok(a, "CREATE VIEW w AS SELECT a FROM t INNER JOIN u ON t.k = u.k;"
                "CREATE VIEW x AS SELECT a FROM t JOIN u ON true", &f);
    assert_int_equal(f.stmts[0].select->join, JOIN_INNER);
    assert_int_equal(f.stmts[1].select->join, JOIN_INNER);
    assert_null(f.stmts[1].select->join_table.alias);
    assert_int_equal(f.stmts[0].select->join, JOIN_INNER);
    ast_file_free(&f);
    arena_free(a);
}

/* ---- expressions ------------------------------------------------------- */

static void test_precedence(void **state)
{
    arena *a = arena_new(0);
    assert_string_equal(explain(a, "a OR b AND NOT c = d + e * -f"),
                        "(a OR (b AND (NOT (c = (d + (e * (- f)))))))");
    assert_string_equal(explain(a, "a + b || c - d"), "(((a + b) || c) - d)");
    assert_string_equal(explain(a, "a * b / c % d"), "(((a * b) / c) % d)");
    assert_string_equal(explain(a, "(a + b) * c"), "((a + b) * c)");
    assert_string_equal(explain(a, "a = b AND c <> d OR e != f"),
                        "(((a = b) AND (c != d)) OR (e != f))");
    assert_string_equal(explain(a, "a < b = c"), "((a < b) = c)");
    assert_string_equal(explain(a, "a <=> b"), "(a <=> b)");
    assert_string_equal(explain(a, "a == b"), "(a = b)");
    assert_string_equal(explain(a, "NOT a IN (1, 2)"), "(NOT (a IN (1, 2)))");
    assert_string_equal(explain(a, "a NOT IN (1, 2)"), "(a NOT IN (1, 2))");
    assert_string_equal(explain(a, "a + 1 BETWEEN b AND c + 1 AND d"),
                        "(((a + 1) BETWEEN b AND (c + 1)) AND d)");
    assert_string_equal(explain(a, "x NOT BETWEEN 1 AND 2"), "(x NOT BETWEEN 1 AND 2)");
    assert_string_equal(explain(a, "name NOT LIKE 'a%' OR name LIKE '_b'"),
                        "((name NOT LIKE 'a%') OR (name LIKE '_b'))");
    assert_string_equal(explain(a, "x IS NULL AND y IS NOT NULL"),
                        "((x IS NULL) AND (y IS NOT NULL))");
    assert_string_equal(explain(a, "a IS DISTINCT FROM b"), "(NOT (a <=> b))");
    assert_string_equal(explain(a, "a IS NOT DISTINCT FROM b"), "(a <=> b)");
    assert_string_equal(explain(a, "NOT NOT a"), "(NOT (NOT a))");
    assert_string_equal(explain(a, "- - a"), "(- (- a))");
    assert_string_equal(explain(a, "a - -1"), "(a - -1)");
    assert_string_equal(explain(a, "CASE WHEN a > 1 THEN 'x' WHEN a > 0 THEN 'y' ELSE NULL END"),
                        "CASE WHEN (a > 1) THEN 'x' WHEN (a > 0) THEN 'y' ELSE NULL END");
    assert_string_equal(explain(a, "CASE a WHEN 1 THEN 'one' END"),
                        "CASE WHEN (a = 1) THEN 'one' END");
    assert_string_equal(explain(a, "CAST(a AS bigint) + 1"), "(CAST(a AS BIGINT) + 1)");
    assert_string_equal(explain(a, "a.b.c"), "a.b.c");
    assert_string_equal(explain(a, "f(x).start"), "f(x).start");
    arena_free(a);
}

static void test_expression_nodes(void **state)
{
    arena *a = arena_new(0);
    expr *e = item_expr(a, "CASE k WHEN 1 THEN 'a' WHEN 2 THEN 'b' END");
    assert_int_equal(e->kind, EXPR_CASE);
    assert_int_equal(e->nargs, 4);
    assert_null(e->else_expr);
    assert_int_equal(e->args[0]->op, OP_EQ);
    assert_int_equal(e->args[2]->op, OP_EQ);
    assert_ptr_not_equal(e->args[0]->args[0], e->args[2]->args[0]);
    assert_string_equal(e->args[2]->args[0]->name, "k");

    e = item_expr(a, "count(DISTINCT user_id)");
    assert_int_equal(e->kind, EXPR_CALL);
    assert_true(e->distinct);
    assert_false(e->star_arg);
    assert_int_equal(e->nargs, 1);
    assert_string_equal(e->name, "count");

    e = item_expr(a, "current_timestamp()");
    assert_int_equal(e->kind, EXPR_CALL);
    assert_int_equal(e->nargs, 0);

    e = item_expr(a, "COUNT(*)");
    assert_string_equal(e->name, "COUNT");
    assert_true(e->star_arg);
    assert_int_equal(e->nargs, 0);

    e = item_expr(a, "a.b.c");
    assert_int_equal(e->kind, EXPR_FIELD);
    assert_string_equal(e->name, "c");
    assert_int_equal(e->args[0]->kind, EXPR_IDENT);
    assert_string_equal(e->args[0]->qualifier, "a");
    assert_string_equal(e->args[0]->name, "b");

    e = item_expr(a, "window.start");
    assert_int_equal(e->kind, EXPR_IDENT);
    assert_string_equal(e->qualifier, "window");
    assert_string_equal(e->name, "start");

    e = item_expr(a, "x NOT IN (1, 2, 3)");
    assert_int_equal(e->kind, EXPR_IN);
    assert_true(e->negated);
    assert_int_equal(e->nargs, 4);

    e = item_expr(a, "CAST(ts AS DATE)");
    assert_int_equal(e->kind, EXPR_CAST);
    assert_int_equal(e->cast_to, TYPE_DATE);
    arena_free(a);
}

static void test_literals(void **state)
{
    arena *a = arena_new(0);
    expr *e = item_expr(a, "42");
    assert_int_equal(e->kind, EXPR_LITERAL);
    assert_int_equal(e->lit.type, TYPE_INT);
    assert_int_equal(e->lit.v.i32, 42);
    e = item_expr(a, "-2147483648");
    assert_int_equal(e->lit.type, TYPE_INT);
    assert_int_equal(e->lit.v.i32, INT32_MIN);
    e = item_expr(a, "3000000000");
    assert_int_equal(e->lit.type, TYPE_BIGINT);
    assert_int_equal(e->lit.v.i64, 3000000000LL);
    e = item_expr(a, "10L");
    assert_int_equal(e->lit.type, TYPE_BIGINT);
    assert_int_equal(e->lit.v.i64, 10);
    e = item_expr(a, "99999999999999999999");
    assert_int_equal(e->lit.type, TYPE_DOUBLE);
    e = item_expr(a, "1.5");
    assert_int_equal(e->lit.type, TYPE_DOUBLE);
    assert_true(e->lit.v.f64 == 1.5);
    e = item_expr(a, ".5e1");
    assert_true(e->lit.v.f64 == 5.0);
    e = item_expr(a, "2D");
    assert_int_equal(e->lit.type, TYPE_DOUBLE);
    assert_true(e->lit.v.f64 == 2.0);
    e = item_expr(a, "'it''s' ' here\\n\\%'");
    assert_int_equal(e->lit.type, TYPE_STRING);
    assert_int_equal(e->lit.v.s.len, 12);
    assert_memory_equal(e->lit.v.s.ptr, "it's here\n\\%", 12);
    e = item_expr(a, "'\\u00e9\\t'");
    assert_int_equal(e->lit.v.s.len, 3);
    assert_memory_equal(e->lit.v.s.ptr, "\xc3\xa9\t", 3);
    e = item_expr(a, "TRUE");
    assert_int_equal(e->lit.type, TYPE_BOOLEAN);
    assert_true(e->lit.v.b);
    e = item_expr(a, "false");
    assert_false(e->lit.v.b);
    e = item_expr(a, "NULL");
    assert_true(e->lit.is_null);
    assert_int_equal(e->lit.type, TYPE_NULL);
    e = item_expr(a, "TIMESTAMP '2024-01-01 00:00:10'");
    assert_int_equal(e->lit.type, TYPE_TIMESTAMP);
    assert_int_equal(e->lit.v.i64, 1704067210000000LL);
    e = item_expr(a, "DATE '1970-01-02'");
    assert_int_equal(e->lit.type, TYPE_DATE);
    assert_int_equal(e->lit.v.i32, 1);
    e = item_expr(a, "timestamp");
    assert_int_equal(e->kind, EXPR_IDENT);
    arena_free(a);
}

static void test_keywords_as_columns(void **state)
{
    arena *a = arena_new(0);
    ast_file f;
    parse_ok(a,
             "CREATE SOURCE s (key STRING, value STRING, timestamp TIMESTAMP, date DATE,\n"
             "  count INT, event STRING, window STRING, start INT, end INT, string STRING,\n"
             "  watermark INT);\n"
             "CREATE SINK k AS SELECT key, value, timestamp, date, count, event, end,\n"
             "  window.start, window.end, count(*) AS count, string, date(timestamp) d\n"
             "FROM s WHERE timestamp > TIMESTAMP '2024-01-01' AND key = value\n"
             "GROUP BY key, value, timestamp, date, count, event, end, window",
             &f);
    assert_int_equal(f.stmts[0].ncolumns, 11);
    assert_string_equal(f.stmts[0].columns[8].name, "end");
    assert_string_equal(f.stmts[0].columns[10].name, "watermark");
    ast_select *q = f.stmts[1].select;
    assert_int_equal(q->nitems, 12);
    const char *names[] = {"key", "value", "timestamp", "date", "count", "event", "end"};
    for (int i = 0; i < 7; i++) {
        assert_int_equal(q->items[i].e->kind, EXPR_IDENT);
        assert_string_equal(q->items[i].e->name, names[i]);
        assert_null(q->items[i].alias);
    }
    assert_string_equal(q->items[8].e->name, "end");
    assert_string_equal(q->items[9].alias, "count");
    assert_int_equal(q->items[11].e->kind, EXPR_CALL);
    assert_string_equal(q->items[11].alias, "d");
    assert_int_equal(q->ngroup_by, 8);
    assert_string_equal(q->group_by[7]->name, "window");
    ast_file_free(&f);
    arena_free(a);
}

static void test_quoted_identifiers(void **state)
{
    arena *a = arena_new(0);
    ast_file f;
    parse_ok(a,
             "CREATE SOURCE `My Source` (`Odd Name` STRING, \"MixedCase\" INT, `a``b` INT)\n"
             "  WITH (format = 'json');\n"
             "CREATE VIEW v AS SELECT `Odd Name` AS `Out-Col`, `v`.`MixedCase`, \"a`b\" FROM `My Source` v",
             &f);
    assert_string_equal(f.stmts[0].name, "My Source");
    assert_string_equal(f.stmts[0].columns[0].name, "Odd Name");
    assert_string_equal(f.stmts[0].columns[1].name, "MixedCase");
    assert_string_equal(f.stmts[0].columns[2].name, "a`b");
    ast_select *q = f.stmts[1].select;
    assert_string_equal(q->items[0].e->name, "Odd Name");
    assert_string_equal(q->items[0].alias, "Out-Col");
    assert_string_equal(q->items[1].e->qualifier, "v");
    assert_string_equal(q->items[1].e->name, "MixedCase");
    assert_string_equal(q->items[2].e->name, "a`b");
    assert_string_equal(expr_default_name(a, q->items[2].e), "a`b");
    assert_string_equal(q->from.name, "My Source");
    ast_file_free(&f);
    arena_free(a);
}

static void test_comments(void **state)
{
    arena *a = arena_new(0);
    ast_file f;
    parse_ok(a,
             "-- leading comment\n"
             "/* block /* nested */ still comment */ SET a = 1; -- trailing\n"
             ";;\n"
             "SET b /* inside */ = 2 -- no newline at end",
             &f);
    assert_int_equal(f.nstmts, 2);
    assert_string_equal(f.stmts[0].name, "a");
    assert_int_equal(f.stmts[0].line, 2);
    assert_int_equal(f.stmts[0].col, 40);
    assert_string_equal(f.stmts[1].name, "b");
    assert_string_equal(f.stmts[1].value, "2");
    ast_file_free(&f);

    parse_ok(a, "  -- only a comment\n", &f);
    assert_int_equal(f.nstmts, 0);
    ast_file_free(&f);
    parse_ok(a, "", &f);
    assert_int_equal(f.nstmts, 0);
    ast_file_free(&f);
    arena_free(a);
}

static long long watermark_of(arena *a, const char *interval)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "CREATE SOURCE s (ts TIMESTAMP, WATERMARK FOR ts AS ts - %s) WITH (format = 'json')",
             interval);
    ast_file f;
    parse_ok(a, sql, &f);
    long long us = f.stmts[0].wm_delay_us;
    ast_file_free(&f);
    return us;
}

static void test_intervals(void **state)
{
    arena *a = arena_new(0);
    assert_int_equal(watermark_of(a, "INTERVAL 10 SECONDS"), 10000000);
    assert_int_equal(watermark_of(a, "INTERVAL '10' SECOND"), 10000000);
    assert_int_equal(watermark_of(a, "INTERVAL '10 seconds'"), 10000000);
    assert_int_equal(watermark_of(a, "interval 1 minute"), 60000000);
    assert_int_equal(watermark_of(a, "INTERVAL 1 MINUTE 30 SECONDS"), 90000000);
    assert_int_equal(watermark_of(a, "INTERVAL 500 MILLISECONDS"), 500000);
    assert_int_equal(watermark_of(a, "INTERVAL '2 hours'"), 7200000000LL);
    assert_int_equal(watermark_of(a, "INTERVAL 0 SECONDS"), 0);
    arena_free(a);
}

static void test_seed_queries(void **state)
{
    arena *a = arena_new(0);
    ast_file f;
    /* 000/001: votes per candidate and turnout by state, from files and Kafka. */
    parse_ok(a,
             "CREATE SOURCE votes (vote_id STRING, timestamp TIMESTAMP, state STRING,\n"
             "  age_group STRING, candidate STRING,\n"
             "  WATERMARK FOR timestamp AS timestamp - INTERVAL 10 SECONDS)\n"
             "  WITH (format = 'json', path = 'vote_stream', maxFilesPerTrigger = 10);\n"
             "CREATE SOURCE kvotes WITH (format = 'kafka', 'kafka.bootstrap.servers' = 'localhost:9092',\n"
             "  subscribe = 'votes_topic', startingOffsets = 'earliest', valueFormat = 'json',\n"
             "  schema = 'vote_id STRING, timestamp TIMESTAMP, state STRING, candidate STRING');\n"
             "CREATE SINK votes_per_candidate WITH (format = 'console', outputMode = 'complete')\n"
             "  AS SELECT candidate, count(*) FROM votes GROUP BY candidate;\n"
             "CREATE SINK turnout WITH (format = 'kafka', topic = 'aggregated_turnout_by_location',\n"
             "  outputMode = 'update')\n"
             "  AS SELECT state AS key, CAST(count(*) AS STRING) AS value FROM kvotes GROUP BY state;\n"
             /* 002: accelerometer averages over sliding windows. */
             "CREATE SOURCE accel (pid STRING, time BIGINT, x DOUBLE, y DOUBLE, z DOUBLE)\n"
             "  WITH (format = 'csv', path = 'accel', header = true);\n"
             "CREATE SINK accel_avg WITH (format = 'csv', path = 'out', outputMode = 'append')\n"
             "  AS SELECT pid, window.start, window.end, avg(x), avg(y), avg(z),\n"
             "     sqrt(x * x + y * y + z * z) AS mag\n"
             "  FROM accel GROUP BY pid, window(CAST(time / 1000 AS TIMESTAMP), '10 seconds', '5 seconds');\n"
             /* 003: events counted by type. */
             "CREATE SOURCE events WITH (format = 'csv', path = 'data/input', header = true,\n"
             "  schema = 'timestamp STRING, user_id INT, event STRING');\n"
             "CREATE SINK event_counts WITH (format = 'console', outputMode = 'complete')\n"
             "  AS SELECT event, count(*) AS count FROM events GROUP BY event;\n"
             /* 004: stocks. */
             "CREATE SOURCE stocks (date DATE, symbol STRING, open DOUBLE, high DOUBLE, low DOUBLE,\n"
             "  close DOUBLE, volume BIGINT) WITH (format = 'csv', path = 'stocks', header = true);\n"
             "CREATE SINK by_symbol WITH (format = 'json', path = 'out/stocks', partitionBy = 'symbol')\n"
             "  AS SELECT date, symbol, (close - open) / open * 100 AS change_pct FROM stocks\n"
             "  WHERE volume > 0 AND symbol IN ('005930', '000660');\n",
             &f);
    assert_int_equal(f.nstmts, 10);
    ast_select *q = f.stmts[2].select;
    assert_string_equal(expr_default_name(a, q->items[1].e), "count(1)");
    assert_string_equal(q->group_by[0]->name, "candidate");
    q = f.stmts[3].select;
    assert_string_equal(q->items[1].alias, "value");
    assert_string_equal(expr_default_name(a, q->items[1].e), "CAST(count(1) AS STRING)");
    q = f.stmts[5].select;
    assert_string_equal(expr_default_name(a, q->items[1].e), "start");
    assert_string_equal(expr_default_name(a, q->items[2].e), "end");
    assert_string_equal(expr_default_name(a, q->items[3].e), "avg(x)");
    assert_string_equal(expr_default_name(a, q->group_by[1]), "window");
    char buf[256];
    expr_to_string(q->group_by[1], buf, sizeof buf);
    assert_string_equal(buf, "window(CAST((time / 1000) AS TIMESTAMP), '10 seconds', '5 seconds')");
    assert_true(expr_has_agg(q->items[3].e));
    assert_false(expr_has_agg(q->items[6].e));
    q = f.stmts[7].select;
    assert_string_equal(q->items[1].alias, "count");
    q = f.stmts[9].select;
    expr_to_string(q->items[2].e, buf, sizeof buf);
    assert_string_equal(buf, "(((close - open) / open) * 100)");
    assert_string_equal(options_get(&f.stmts[9].opts, "partitionBy"), "symbol");
    ast_file_free(&f);
    arena_free(a);
}

static void test_positions_and_text(void **state)
{
    arena *a = arena_new(0);
    ast_file f;
    parse_ok(a,
             "CREATE VIEW v AS\n"
             "SELECT  upper( name ) AS u,\n"
             "\tcount(DISTINCT  x) + 1\n"
             "FROM t WHERE a\n"
             "  AND b",
             &f);
    ast_select *q = f.stmts[0].select;
    expr *u = q->items[0].e;
    assert_int_equal(u->line, 2);
    assert_int_equal(u->col, 9);
    assert_int_equal(u->end_col, 22);
    assert_string_equal(u->text, "upper( name )");
    assert_int_equal(u->args[0]->col, 16);
    assert_string_equal(u->args[0]->text, "name");
    assert_int_equal(q->items[0].line, 2);
    assert_int_equal(q->items[0].col, 9);
    expr *c = q->items[1].e;
    assert_int_equal(c->line, 3);
    assert_int_equal(c->col, 2);
    assert_string_equal(c->text, "count(DISTINCT  x) + 1");
    assert_string_equal(c->args[0]->text, "count(DISTINCT  x)");
    assert_int_equal(c->end_col, 24);
    expr *w = q->where;
    assert_int_equal(w->line, 4);
    assert_int_equal(w->col, 14);
    assert_string_equal(w->text, "a\n  AND b");
    assert_int_equal(w->end_col, 0);
    assert_string_equal(expr_default_name(a, c), "(count(DISTINCT x) + 1)");
    ast_file_free(&f);
    arena_free(a);
}

static void test_default_names(void **state)
{
    arena *a = arena_new(0);
    assert_string_equal(name_of(a, "candidate"), "candidate");
    assert_string_equal(name_of(a, "v.state"), "state");
    assert_string_equal(name_of(a, "window.start"), "start");
    assert_string_equal(name_of(a, "count(*)"), "count(1)");
    assert_string_equal(name_of(a, "COUNT(*)"), "count(1)");
    assert_string_equal(name_of(a, "count(1)"), "count(1)");
    assert_string_equal(name_of(a, "count(DISTINCT user)"), "count(DISTINCT user)");
    assert_string_equal(name_of(a, "Sum(amount)"), "sum(amount)");
    assert_string_equal(name_of(a, "avg(x)"), "avg(x)");
    assert_string_equal(name_of(a, "mean(x)"), "mean(x)");
    assert_string_equal(name_of(a, "upper(name)"), "upper(name)");
    assert_string_equal(name_of(a, "a + b"), "(a + b)");
    assert_string_equal(name_of(a, "a = b"), "(a = b)");
    assert_string_equal(name_of(a, "a <> b"), "(NOT (a = b))");
    assert_string_equal(name_of(a, "a AND b"), "(a AND b)");
    assert_string_equal(name_of(a, "-a"), "(- a)");
    assert_string_equal(name_of(a, "NOT a"), "(NOT a)");
    assert_string_equal(name_of(a, "'x'"), "x");
    assert_string_equal(name_of(a, "42"), "42");
    assert_string_equal(name_of(a, "-7"), "-7");
    assert_string_equal(name_of(a, "1.50"), "1.50");
    assert_string_equal(name_of(a, ".5"), "0.5");
    assert_string_equal(name_of(a, "1e3"), "1000.0");
    assert_string_equal(name_of(a, "NULL"), "NULL");
    assert_string_equal(name_of(a, "true"), "true");
    assert_string_equal(name_of(a, "CAST(x AS int)"), "x");
    assert_string_equal(name_of(a, "CAST(x + 1 AS int)"), "CAST((x + 1) AS INT)");
    assert_string_equal(name_of(a, "CAST('1' AS bigint)"), "CAST(1 AS BIGINT)");
    assert_string_equal(name_of(a, "x IS NULL"), "(x IS NULL)");
    assert_string_equal(name_of(a, "x IS NOT NULL"), "(x IS NOT NULL)");
    assert_string_equal(name_of(a, "x IN (1, 2)"), "(x IN (1, 2))");
    assert_string_equal(name_of(a, "x NOT IN ('a')"), "(NOT (x IN (a)))");
    assert_string_equal(name_of(a, "x BETWEEN 1 AND 5"), "((x >= 1) AND (x <= 5))");
    assert_string_equal(name_of(a, "x LIKE 'a%'"), "x LIKE a%");
    assert_string_equal(name_of(a, "CASE WHEN x > 1 THEN 'big' ELSE 'small' END"),
                        "CASE WHEN (x > 1) THEN big ELSE small END");
    assert_string_equal(name_of(a, "CASE x WHEN 1 THEN 'a' END"), "CASE WHEN (x = 1) THEN a END");
    assert_string_equal(name_of(a, "window(timestamp, '10 seconds', '5 seconds')"), "window");
    assert_string_equal(name_of(a, "session_window(ts, '5 minutes')"), "session_window");
    assert_string_equal(name_of(a, "a || b"), "concat(a, b)");
    assert_string_equal(name_of(a, "round(x)"), "round(x, 0)");
    assert_string_equal(name_of(a, "round(x, 2)"), "round(x, 2)");
    assert_string_equal(name_of(a, "substring(s, 2)"), "substring(s, 2, 2147483647)");
    assert_string_equal(name_of(a, "sqrt(x)"), "SQRT(x)");
    assert_string_equal(name_of(a, "ceil(x)"), "CEIL(x)");
    assert_string_equal(name_of(a, "current_timestamp()"), "current_timestamp()");
    assert_string_equal(name_of(a, "date_trunc('hour', ts)"), "date_trunc(hour, ts)");
    assert_string_equal(name_of(a, "TIMESTAMP '2024-01-01 00:00:00'"),
                        "TIMESTAMP '2024-01-01 00:00:00'");
    assert_string_equal(name_of(a, "DATE '2024-01-02'"), "DATE '2024-01-02'");
    assert_string_equal(name_of(a, "coalesce(a, 'x') + 1"), "(coalesce(a, x) + 1)");
    arena_free(a);
}

static void test_bound_names_and_strings(void **state)
{
    arena *a = arena_new(0);
    /* A binder-inserted cast (text shared with its child) is invisible. */
    expr *col = expr_new(a, EXPR_COLUMN, 1, 1);
    col->column = 3;
    col->name = "amount";
    col->text = "amount";
    expr *cast = expr_new(a, EXPR_CAST, 1, 1);
    cast->cast_to = TYPE_DOUBLE;
    cast->args = arena_alloc(a, sizeof(expr *));
    cast->args[0] = col;
    cast->nargs = 1;
    cast->text = col->text;
    expr *call = expr_new(a, EXPR_CALL, 1, 1);
    call->name = "avg";
    call->args = arena_alloc(a, sizeof(expr *));
    call->args[0] = cast;
    call->nargs = 1;
    call->text = "avg(amount)";
    assert_string_equal(expr_default_name(a, call), "avg(amount)");
    assert_string_equal(expr_default_name(a, cast), "amount");
    char buf[64];
    int n = expr_to_string(call, buf, sizeof buf);
    assert_string_equal(buf, "avg(CAST(amount#3 AS DOUBLE))");
    assert_int_equal(n, 29);
    n = expr_to_string(call, buf, 8);
    assert_int_equal(n, 29);
    assert_string_equal(buf, "avg(CAS");
    expr *ref = expr_new(a, EXPR_AGG_REF, 1, 1);
    ref->column = 1;
    expr_to_string(ref, buf, sizeof buf);
    assert_string_equal(buf, "#agg1");
    expr *lit = expr_new(a, EXPR_LITERAL, 1, 1);
    lit->lit.type = TYPE_STRING;
    lit->lit.v.s.ptr = "it's";
    lit->lit.v.s.len = 4;
    expr_to_string(lit, buf, sizeof buf);
    assert_string_equal(buf, "'it''s'");
    arena_free(a);
}

static void test_has_agg(void **state)
{
    arena *a = arena_new(0);
    assert_true(expr_has_agg(item_expr(a, "count(*) + 1")));
    assert_true(expr_has_agg(item_expr(a, "CASE WHEN x THEN 1 ELSE max(y) END")));
    assert_true(expr_has_agg(item_expr(a, "approx_count_distinct(user)")));
    assert_false(expr_has_agg(item_expr(a, "upper(name) || window.start")));
    assert_false(expr_has_agg(item_expr(a, "count")));
    assert_false(expr_has_agg(NULL));
    arena_free(a);
}

static void test_schema_ddl(void **state)
{
    schema s;
    eddy_error err = {0};
    schema_init(&s);
    assert_int_equal(sql_parse_schema_ddl("timestamp STRING, user_id INT, event STRING", &s, &err), 0);
    assert_int_equal(s.n, 3);
    assert_string_equal(s.fields[0].name, "timestamp");
    assert_int_equal(s.fields[0].type, TYPE_STRING);
    assert_int_equal(s.fields[1].type, TYPE_INT);
    schema_free(&s);

    schema_init(&s);
    assert_int_equal(sql_parse_schema_ddl(" a: int, `b c` BIGINT NOT NULL, ts timestamp COMMENT 'x', "
                                          "d date, ok boolean, v double", &s, &err), 0);
    assert_int_equal(s.n, 6);
    assert_string_equal(s.fields[1].name, "b c");
    assert_int_equal(s.fields[1].type, TYPE_BIGINT);
    assert_int_equal(s.fields[2].type, TYPE_TIMESTAMP);
    assert_int_equal(s.fields[3].type, TYPE_DATE);
    assert_int_equal(s.fields[4].type, TYPE_BOOLEAN);
    assert_int_equal(s.fields[5].type, TYPE_DOUBLE);
    schema_free(&s);

    schema_init(&s);
    assert_int_equal(sql_parse_schema_ddl("a STRIN", &s, &err), -EDDY_SQL);
    assert_string_equal(err.message, "schema: unknown type 'STRIN' for column 'a' (did you mean 'STRING'?)");
    assert_int_equal(s.n, 0);
    assert_int_equal(sql_parse_schema_ddl("a INT, a STRING", &s, &err), -EDDY_SQL);
    assert_string_equal(err.message, "schema: duplicate column 'a'");
    assert_int_equal(s.n, 0);
    assert_int_equal(sql_parse_schema_ddl("", &s, &err), -EDDY_SQL);
    assert_string_equal(err.message, "schema: empty schema string");
    assert_int_equal(sql_parse_schema_ddl("a INT,", &s, &err), -EDDY_SQL);
    assert_string_equal(err.message, "schema: expected a column name after ','");
    assert_int_equal(sql_parse_schema_ddl("a INT b STRING", &s, &err), -EDDY_SQL);
    assert_string_equal(err.message, "schema: expected ',' after column 'a', found 'b'");
    assert_int_equal(sql_parse_schema_ddl("`a INT", &s, &err), -EDDY_SQL);
    assert_string_equal(err.message, "schema: unterminated quoted identifier");
    assert_int_equal(sql_parse_schema_ddl("a", &s, &err), -EDDY_SQL);
    assert_string_equal(err.message, "schema: expected a type after column 'a'");
    schema_free(&s);
}

/* ---- errors ------------------------------------------------------------ */

static void test_errors(void **state)
{
    expect_error("CREATE SOURCE x (a INT WITH (format = 'json');",
                 "t.sql:1:24: error: expected ')' after column list, found 'WITH'\n"
                 "  CREATE SOURCE x (a INT WITH (format = 'json');\n"
                 "                         ^~~~");
    expect_error("SET a = 1;\nCREATE SOURCE x (a STRIN) WITH (format = 'json');",
                 "t.sql:2:20: error: unknown type 'STRIN'\n"
                 "  CREATE SOURCE x (a STRIN) WITH (format = 'json');\n"
                 "                     ^~~~~\n"
                 "  did you mean 'STRING'?");
    expect_error("CREATE SINK s WITH (format = 'console') SELECT a FROM t;",
                 "t.sql:1:41: error: expected AS before SELECT in CREATE SINK\n"
                 "  CREATE SINK s WITH (format = 'console') SELECT a FROM t;\n"
                 "                                          ^~~~~~");
    expect_error("CREATE VIEW v AS SELECT a + FROM t;",
                 "t.sql:1:29: error: expected expression after '+', found 'FROM'\n"
                 "  CREATE VIEW v AS SELECT a + FROM t;\n"
                 "                              ^~~~");
    expect_error("CREATE VIEW v AS\n  SELECT a +",
                 "t.sql:2:13: error: expected expression after '+', found end of input\n"
                 "    SELECT a +\n"
                 "              ^");
    expect_error("SET a = 1;\nSET b = 'abc;\nSET c = 2;",
                 "t.sql:2:9: error: unterminated string literal\n"
                 "  SET b = 'abc;\n"
                 "          ^");
    expect_error("SET a = 1; /* never\nclosed",
                 "t.sql:1:12: error: unterminated comment\n"
                 "  SET a = 1; /* never\n"
                 "             ^~");
    expect_error("CREATE VIEW v AS SELECT `abc FROM t",
                 "t.sql:1:25: error: unterminated quoted identifier\n"
                 "  CREATE VIEW v AS SELECT `abc FROM t\n"
                 "                          ^");
    expect_error("\tCREATE VIEW v AS SELECT a FROM t WHERE\ta @ b",
                 "t.sql:1:43: error: unexpected character '@'\n"
                 "  \tCREATE VIEW v AS SELECT a FROM t WHERE\ta @ b\n"
                 "  \t                                      \t  ^");
    expect_error("CREATE SORCE x (a INT);",
                 "t.sql:1:8: error: expected SOURCE, TABLE, VIEW or SINK after CREATE, found 'SORCE'\n"
                 "  CREATE SORCE x (a INT);\n"
                 "         ^~~~~\n"
                 "  did you mean 'SOURCE'?");
    expect_error("SELEC a FROM t",
                 "t.sql:1:1: error: expected a statement (SET or CREATE), found 'SELEC'\n"
                 "  SELEC a FROM t\n"
                 "  ^~~~~");
    expect_error("CREATE VIEW v AS SELECT a FROM t GROUP BY a WHERE a > 1",
                 "t.sql:1:45: error: unexpected 'WHERE': clauses go in the order FROM, JOIN, "
                 "WHERE, GROUP BY, HAVING, ORDER BY, LIMIT\n"
                 "  CREATE VIEW v AS SELECT a FROM t GROUP BY a WHERE a > 1\n"
                 "                                              ^~~~~");
    expect_error("CREATE VIEW v AS SELECT CAST(a AS STRIN) FROM t",
                 "t.sql:1:35: error: unknown type 'STRIN'\n"
                 "  CREATE VIEW v AS SELECT CAST(a AS STRIN) FROM t\n"
                 "                                    ^~~~~\n"
                 "  did you mean 'STRING'?");
    expect_error("CREATE VIEW v AS SELECT a FROM t LIMIT x",
                 "t.sql:1:40: error: expected a non-negative integer after LIMIT, found 'x'\n"
                 "  CREATE VIEW v AS SELECT a FROM t LIMIT x\n"
                 "                                         ^");
    expect_error("CREATE VIEW v AS SELECT 'h\xc3\xa9llo' + ) FROM t",
                 "t.sql:1:36: error: expected expression after '+', found ')'\n"
                 "  CREATE VIEW v AS SELECT 'h\xc3\xa9llo' + ) FROM t\n"
                 "                                    ^");
    expect_error("CREATE SOURCE x (a INT, WATERMARK FOR a AS b - INTERVAL 5 SECONDS)",
                 "t.sql:1:44: error: the watermark must be 'a - INTERVAL ...'\n"
                 "  CREATE SOURCE x (a INT, WATERMARK FOR a AS b - INTERVAL 5 SECONDS)\n"
                 "                                             ^");
    expect_error("CREATE SOURCE x (a INT, WATERMARK FOR a AS a - INTERVAL 5 FOO)",
                 "t.sql:1:59: error: expected a time unit such as SECONDS after '5', found 'FOO'\n"
                 "  CREATE SOURCE x (a INT, WATERMARK FOR a AS a - INTERVAL 5 FOO)\n"
                 "                                                            ^~~");
    expect_error("CREATE SOURCE x (a INT, WATERMARK FOR a AS a - INTERVAL '5 fortnights')",
                 "t.sql:1:48: error: invalid interval '5 fortnights'\n"
                 "  CREATE SOURCE x (a INT, WATERMARK FOR a AS a - INTERVAL '5 fortnights')\n"
                 "                                                 ^~~~~~~~");
    expect_error("CREATE TABLE t (a INT, WATERMARK FOR a AS a - INTERVAL 1 SECOND)",
                 "t.sql:1:24: error: WATERMARK is only allowed in CREATE SOURCE\n"
                 "  CREATE TABLE t (a INT, WATERMARK FOR a AS a - INTERVAL 1 SECOND)\n"
                 "                         ^~~~~~~~~");
    expect_error("CREATE SOURCE x (a INT, b STRING, A INT)",
                 "t.sql:1:35: error: duplicate column 'A'\n"
                 "  CREATE SOURCE x (a INT, b STRING, A INT)\n"
                 "                                    ^");
    expect_error("CREATE SOURCE x WITH (path = 'a', PATH = 'b')",
                 "t.sql:1:35: error: duplicate option 'PATH'\n"
                 "  CREATE SOURCE x WITH (path = 'a', PATH = 'b')\n"
                 "                                    ^~~~");
    expect_error("CREATE SOURCE x WITH (format = 'json' path = 'b')",
                 "t.sql:1:39: error: expected ',' or ')' in WITH options, found 'path'\n"
                 "  CREATE SOURCE x WITH (format = 'json' path = 'b')\n"
                 "                                        ^~~~");
    expect_error("CREATE VIEW v AS SELECT a FROM t RIGHT JOIN u ON a = b",
                 "t.sql:1:34: error: 'RIGHT' joins are not supported: a stream joins a static "
                 "table with [INNER] JOIN or LEFT [OUTER] JOIN\n"
                 "  CREATE VIEW v AS SELECT a FROM t RIGHT JOIN u ON a = b\n"
                 "                                   ^~~~~");
    expect_error("CREATE VIEW v AS SELECT a b c FROM t",
                 "t.sql:1:29: error: expected FROM after the select list, found 'c'\n"
                 "  CREATE VIEW v AS SELECT a b c FROM t\n"
                 "                              ^");
    expect_error("CREATE VIEW v AS SELECT CASE WHEN a THEN 1 FROM t",
                 "t.sql:1:44: error: expected END to close CASE, found 'FROM'\n"
                 "  CREATE VIEW v AS SELECT CASE WHEN a THEN 1 FROM t\n"
                 "                                             ^~~~");
    expect_error("CREATE VIEW v AS SELECT CASE WHEN a THEN 1 ELSE END FROM t",
                 "t.sql:1:49: error: expected expression after 'ELSE', found 'END'\n"
                 "  CREATE VIEW v AS SELECT CASE WHEN a THEN 1 ELSE END FROM t\n"
                 "                                                  ^~~");
    expect_error("CREATE VIEW v AS SELECT count(a b) FROM t",
                 "t.sql:1:33: error: expected ',' or ')' in the arguments of count(), found 'b'\n"
                 "  CREATE VIEW v AS SELECT count(a b) FROM t\n"
                 "                                  ^");
    expect_error("CREATE VIEW v AS SELECT a FROM (SELECT 1 FROM t)",
                 "t.sql:1:32: error: subqueries in FROM are not supported; define a VIEW and "
                 "select from it\n"
                 "  CREATE VIEW v AS SELECT a FROM (SELECT 1 FROM t)\n"
                 "                                 ^");
    expect_error("CREATE VIEW v AS SELECT a FROM t WHERE a IS 1",
                 "t.sql:1:45: error: expected NULL or DISTINCT FROM after IS, found '1'\n"
                 "  CREATE VIEW v AS SELECT a FROM t WHERE a IS 1\n"
                 "                                              ^");
    expect_error("CREATE VIEW v AS SELECT a FROM t; CREATE VIEW w SELECT 1",
                 "t.sql:1:49: error: expected AS after the view name, found 'SELECT'\n"
                 "  CREATE VIEW v AS SELECT a FROM t; CREATE VIEW w SELECT 1\n"
                 "                                                  ^~~~~~");
    expect_error("SET a = 1 SET b = 2",
                 "t.sql:1:11: error: expected ';' after the SET value, found 'SET'\n"
                 "  SET a = 1 SET b = 2\n"
                 "            ^~~");
    expect_error("SET a = 1\nCREATE VIEW v AS SELECT a FROM t",
                 "t.sql:2:1: error: expected ';' after the SET value, found 'CREATE'\n"
                 "  CREATE VIEW v AS SELECT a FROM t\n"
                 "  ^~~~~~");
    expect_error("CREATE VIEW v AS SELECT a FROM t WHERE x > INTERVAL 1 SECOND",
                 "t.sql:1:44: error: INTERVAL literals are only supported in WATERMARK clauses; "
                 "durations in functions are strings such as '10 seconds'\n"
                 "  CREATE VIEW v AS SELECT a FROM t WHERE x > INTERVAL 1 SECOND\n"
                 "                                             ^~~~~~~~");
    expect_error("CREATE VIEW v AS SELECT 12abc FROM t",
                 "t.sql:1:25: error: malformed number '12abc'\n"
                 "  CREATE VIEW v AS SELECT 12abc FROM t\n"
                 "                          ^~~~~");
    expect_error("CREATE VIEW v AS SELECT TIMESTAMP 'yesterday' FROM t",
                 "t.sql:1:35: error: invalid TIMESTAMP literal 'yesterday'\n"
                 "  CREATE VIEW v AS SELECT TIMESTAMP 'yesterday' FROM t\n"
                 "                                    ^~~~~~~~~~~");
}

static void test_deep_nesting(void **state)
{
    char sql[4096];
    int n = snprintf(sql, sizeof sql, "CREATE VIEW v AS SELECT ");
    for (int i = 0; i < 1000; i++)
        sql[n++] = '(';
    sql[n++] = 'a';
    sql[n] = '\0';
    arena *a = arena_new(0);
    ast_file f;
    eddy_error err = {0};
    assert_int_equal(sql_parse(sql, "t.sql", a, &f, &err), -EDDY_SQL);
    assert_non_null(strstr(err.message, "error: expression nested too deeply"));
    arena_free(a);
}

static void test_sql_error_at(void **state)
{
    eddy_error err = {0};
    const char *text = "line one\n\tx = 'a'\r\nthird";
    assert_int_equal(sql_error_at(&err, text, "f.sql", 2, 6, 3, NULL, "bad %s", "value"), -EDDY_SQL);
    assert_int_equal(err.code, EDDY_SQL);
    assert_string_equal(err.message, "f.sql:2:6: error: bad value\n  \tx = 'a'\n  \t    ^~~");
    sql_error_at(&err, text, "f.sql", 3, 1, 0, "thirds", "unknown '%s'", "third");
    assert_string_equal(err.message,
                        "f.sql:3:1: error: unknown 'third'\n  third\n  ^\n  did you mean 'thirds'?");
    sql_error_at(&err, text, "f.sql", 3, 4, 40, NULL, "clipped");
    assert_string_equal(err.message, "f.sql:3:4: error: clipped\n  third\n     ^~");
    sql_error_at(&err, text, "f.sql", 9, 1, 1, NULL, "past the end");
    assert_string_equal(err.message, "f.sql:9:1: error: past the end");
    assert_int_equal(sql_error_at(NULL, text, "f.sql", 1, 1, 1, NULL, "x"), -EDDY_SQL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_set),
        cmocka_unit_test(test_create_source),
        cmocka_unit_test(test_create_source_schema_option),
        cmocka_unit_test(test_create_table_view_sink),
        cmocka_unit_test(test_select_clauses),
        cmocka_unit_test(test_precedence),
        cmocka_unit_test(test_expression_nodes),
        cmocka_unit_test(test_literals),
        cmocka_unit_test(test_keywords_as_columns),
        cmocka_unit_test(test_quoted_identifiers),
        cmocka_unit_test(test_comments),
        cmocka_unit_test(test_intervals),
        cmocka_unit_test(test_seed_queries),
        cmocka_unit_test(test_positions_and_text),
        cmocka_unit_test(test_default_names),
        cmocka_unit_test(test_bound_names_and_strings),
        cmocka_unit_test(test_has_agg),
        cmocka_unit_test(test_schema_ddl),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_sql_error_at),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
