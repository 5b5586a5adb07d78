/* SQL front end: lexer and recursive-descent parser for pipeline files
 * (SPEC §2), and SPEC §1's error format. */
#ifndef SQL_PARSER_H
#define SQL_PARSER_H

#include "core/arena.h"
#include "core/types.h"
#include "eddy.h"
#include "sql/ast.h"

/* Parses a whole pipeline file `text` (NUL-terminated). Nodes and strings go
 * into arena `a`; option lists are malloc'd (ast_file_free releases them and
 * the statement array). On a syntax error returns -EDDY_SQL with err holding
 * the SPEC §1 message built by sql_error_at. */
int sql_parse(const char *text, const char *file_name, arena *a, ast_file *out, eddy_error *err);

/* Frees what sql_parse malloc'd (not the arena). */
void ast_file_free(ast_file *f);

/* Formats a positioned error into err and returns -EDDY_SQL:
 *   file:line:col: error: <message>
 *     <the source line>
 *     <spaces>^~~~ (caret under col, tildes to cover `len` characters)
 * plus, when `hint` is not NULL, a last line "  did you mean 'hint'?".
 * Tabs in the source line are kept so the caret lines up. line/col are
 * 1-based; col counts bytes. */
int sql_error_at(eddy_error *err, const char *text, const char *file_name, int line, int col,
                 int len, const char *hint, const char *fmt, ...)
    __attribute__((format(printf, 8, 9)));

/* Parses Spark's DDL schema string ("timestamp STRING, user_id INT, event
 * STRING", also "a: int" and backquoted names) into s (schema_init first).
 * Returns 0, or -EDDY_SQL with "schema: ..." in err. */
int sql_parse_schema_ddl(const char *ddl, schema *s, eddy_error *err);

#endif
