/*
 * main.c - the faultline command: dispatches to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"

static const char usage[] =
    "usage: faultline COMMAND [ARGS]\n"
    "\n"
    "A deterministic simulator and chaos-test harness for API gateways and service\n"
    "meshes: what retries, timeouts, circuit breakers and rate limits do to latency\n"
    "and errors when the network misbehaves, the same way every time for one seed.\n"
    "\n"
    "commands:\n"
    "  run FILE      run a scenario and report P50/P95/P99, errors, retry amplification\n"
    "  gateway       serve a Kong declarative configuration as a real reverse proxy\n"
    "  stub          a small HTTP/1.1 upstream for live tests and demos\n"
    "\n"
    "`faultline COMMAND --help` describes a command. Exit status: 0 done (assertions\n"
    "held), 1 an assertion failed, 2 bad input or usage.\n";

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_BAD_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "run")) return cli_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "gateway")) return cli_gateway(argc - 1, argv + 1);
    if (!strcmp(cmd, "stub")) return cli_stub(argc - 1, argv + 1);
    fprintf(stderr, "faultline: unknown command '%s'\n\n%s", cmd, usage);
    return CLI_BAD_INPUT;
}
