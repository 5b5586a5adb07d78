/* Fuzz target for the SQL front end: arbitrary bytes go through sql_parse
 * (and sql_parse_schema_ddl); parsed queries are rendered with
 * expr_default_name and expr_to_string. Everything is freed. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/arena.h"
#include "core/types.h"
#include "plan/expr.h"
#include "sql/parser.h"

static void render(arena *a, const expr *e)
{
    char buf[256];
    if (!e)
        return;
    expr_to_string(e, buf, sizeof buf);
    expr_default_name(a, e);
    expr_has_agg(e);
}

static void render_select(arena *a, const ast_select *s)
{
    for (int i = 0; i < s->nitems; i++)
        render(a, s->items[i].e);
    render(a, s->join_on);
    render(a, s->where);
    for (int i = 0; i < s->ngroup_by; i++)
        render(a, s->group_by[i]);
    render(a, s->having);
    for (int i = 0; i < s->norder_by; i++)
        render(a, s->order_by[i].e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    memcpy(text, data, size);
    text[size] = '\0';

    arena *a = arena_new(0);
    ast_file f;
    eddy_error err;
    if (sql_parse(text, "fuzz.sql", a, &f, &err) == 0) {
        for (int i = 0; i < f.nstmts; i++)
            if (f.stmts[i].select)
                render_select(a, f.stmts[i].select);
        ast_file_free(&f);
    }
    arena_free(a);

    schema s;
    schema_init(&s);
    sql_parse_schema_ddl(text, &s, &err);
    schema_free(&s);
    free(text);
    return 0;
}
