/* `eddy demo [NAME]`: a generator and a pipeline in one process. */
#ifndef CLI_DEMO_H
#define CLI_DEMO_H

#include "eddy.h"

/* argv[0] is "demo", then the optional demo name: "votes" (default,
 * seed 000 with seed 001's dashboard), "kafka" (seed 001: a mock Kafka
 * broker in the process, the generator producing to it, the pipeline
 * reading and writing topics), "accel" (seed 002) or "stocks" (seed 004), an unknown name getting the nearest known one suggested; and
 * the web UI flags of `eddy run` (--ui-port N, --ui-host H, --no-ui). The
 * dashboard's URL is printed on stderr once it listens. Creates a fresh folder
 * /tmp/eddy-demo-NAME-XXXXXX (left in place, its path printed on stderr),
 * runs the generator in a thread writing into it and the seed's pipeline
 * reading it, until SIGINT/SIGTERM. Returns a process exit status (0 clean
 * stop, 1 failure of the pipeline or the generator, 2 usage or SQL error). */
int cmd_demo(int argc, char **argv);

/* Installs SIGINT/SIGTERM handlers that request a clean stop (the running
 * batch finishes); a second signal exits at once with status 130. */
void cli_install_signals(void);

/* Runs a pipeline from SQL text with the given run options; prints errors to
 * stderr and returns the process exit status of SPEC §1. */
int cli_run_sql(const char *sql, const char *file_name, const char *const *settings,
                int nsettings, const eddy_run_options *run_options);

#endif
