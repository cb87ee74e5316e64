/*
 * version.c - the version `faultline --version` prints: the Makefile's
 * VERSION, and `git describe` of the checkout it was built from, when
 * there was one (both given by the Makefile when this file is compiled).
 */
#include "cli/cli.h"

#ifndef FL_VERSION
#define FL_VERSION "unknown"
#endif
#ifndef FL_GIT
#define FL_GIT ""
#endif

const char cli_version[] = FL_VERSION;
const char cli_version_git[] = FL_GIT;
