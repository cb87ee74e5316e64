/*
 * cli.h - what the faultline subcommands share: the exit statuses and the
 * entry point of each subcommand (one file each).
 */
#ifndef FL_CLI_CLI_H
#define FL_CLI_CLI_H

enum {
    CLI_OK = 0,       /* done; every assertion held */
    CLI_FAILED = 1,   /* an assertion failed */
    CLI_BAD_INPUT = 2 /* bad input or usage */
};

int cli_run(int argc, char **argv);

/* The live runtime's commands: a Kong gateway on real sockets, and a small upstream. */
int cli_gateway(int argc, char **argv);
int cli_stub(int argc, char **argv);

/* Wall-clock seconds (monotonic), for progress and timing only. */
double cli_wall_s(void);

/* Creates a folder and its parents; returns 0 or -1 with errno. */
int cli_mkdirs(const char *path);

#endif
