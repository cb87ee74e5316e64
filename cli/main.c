/*
 * main.c - the faultline command: dispatches to a subcommand; `help`,
 * `--help` and `--version`.
 */
#include <stdio.h>
#include <string.h>

#include "base/assert.h"
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
    "  check FILE... check scenarios without running them and show what they configure\n"
    "  report DIR    write a run's summaries again from its database, DIR/run.db\n"
    "  compare A B...  run scenario variants over several seeds and compare them, with\n"
    "                confidence intervals of the differences\n"
    "  sweep FILE    run a scenario over a grid of settings and seeds: means, 95%\n"
    "                intervals, assertions passed, the best point (-j N processes,\n"
    "                or --plan DIR for GNU parallel, Slurm, Kubernetes)\n"
    "  merge DIR...  gather a planned sweep's finished jobs into its outputs\n"
    "  gateway       serve a Kong declarative configuration as a real reverse proxy\n"
    "  stub          a small HTTP/1.1 upstream for live tests and demos\n"
    "  token         mint a JSON Web Token (HS*, RS*, ES*) or print a key's JWK set\n"
    "  ca            a mesh CA on files: a root, workload certificates with SPIFFE ids,\n"
    "                the check a sidecar makes of a peer's certificate\n"
    "  sidecar       a workload's Istio sidecar, live: mutual TLS between sidecars,\n"
    "                Istio's security resources applied to what comes in\n"
    "  help [COMMAND]  this list, or a command's help\n"
    "\n"
    "`faultline COMMAND --help` describes a command; `faultline --version` prints the\n"
    "version. Exit status: 0 done (assertions held), 1 an assertion failed, 2 bad input\n"
    "or usage.\n";

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
    {"run", cli_run},     {"check", cli_check}, {"report", cli_report},   {"compare", cli_compare},
    {"sweep", cli_sweep}, {"merge", cli_merge}, {"gateway", cli_gateway}, {"stub", cli_stub},
    {"token", cli_token}, {"ca", cli_ca},       {"sidecar", cli_sidecar},
};

static const struct command *find(const char *name)
{
    FL_ASSERT(name);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

/* `faultline help [COMMAND]`: the list, or what `faultline COMMAND --help` prints. */
static int help(int argc, char **argv)
{
    FL_ASSERT(argc >= 2 && !strcmp(argv[1], "help"));
    if (argc < 3) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    const struct command *c = find(argv[2]);
    if (!c || argc > 3) {
        fprintf(stderr, "faultline help: %s '%s'\n\n%s",
                c ? "one command at a time, not" : "unknown command", c ? argv[3] : argv[2], usage);
        return CLI_BAD_INPUT;
    }
    FL_ASSERT(argc == 3 && c->fn);
    char *args[] = {argv[2], "--help", NULL};
    return c->fn(2, args);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return CLI_BAD_INPUT;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        fputs(usage, stdout);
        return CLI_OK;
    }
    if (!strcmp(cmd, "help")) return help(argc, argv);
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("faultline %s%s%s%s\n", cli_version, *cli_version_git ? " (" : "", cli_version_git,
               *cli_version_git ? ")" : "");
        return CLI_OK;
    }
    const struct command *c = find(cmd);
    FL_ASSERT(!c || (c->fn && !strcmp(c->name, cmd)));
    if (c) return c->fn(argc - 1, argv + 1);

    fprintf(stderr, "faultline: unknown command '%s'\n\n%s", cmd, usage);
    return CLI_BAD_INPUT;
}
