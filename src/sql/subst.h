/* Variable substitution in option values (Spark's VariableSubstitution,
 * spark.sql.variable.substitute): `${name}` in a WITH (...) value is
 * replaced by the value of `SET name = ...` (a SET earlier in the file, or
 * -D name=value), and `${env:NAME}` by the environment variable NAME, so one
 * pipeline file can run against different brokers or folders:
 *   'kafka.bootstrap.servers' = '${bootstrap}'   with   -D bootstrap=HOST:PORT */
#ifndef SQL_SUBST_H
#define SQL_SUBST_H

#include "core/options.h"
#include "eddy.h"
#include "sql/ast.h"

/* Substitutes in the option values of every CREATE statement of `ast`, in
 * statement order: a SET applies to the statements after it; `presets` (the
 * -D settings) apply before the first. `$${` is a literal `${`. Unlike
 * Spark, which leaves an unknown `${name}` as it is, an unknown variable is
 * an error: -EDDY_SQL with the option's position (text/file_name are the
 * SQL source for the message) and the nearest known name. Returns 0. */
int sql_substitute_options(ast_file *ast, const char *text, const char *file_name,
                           const options *presets, eddy_error *err);

#endif
