/* The eddy command-line subcommands. Each takes the arguments from the
 * subcommand name on (argv[0] is the subcommand) and returns the process exit
 * status: 0 ok, 1 runtime error, 2 usage error (message on stderr). */
#ifndef CLI_CLI_H
#define CLI_CLI_H

/* `eddy gen KIND --out DIR [options]` (SPEC §8): argv[1] is the kind.
 * Installs SIGINT/SIGTERM handlers that request a stop, so Ctrl+C ends the
 * generator after the file being written; that is a clean stop (0).
 * `--help` prints the usage on stdout and returns 0. */
int cmd_gen(int argc, char **argv);

#endif
