/*
 * render.h - running the tools that draw (gnuplot, graphviz's dot) as
 * external programs: no shell, the arguments as given, in a given folder,
 * their output and errors captured, a time limit, the exit status checked.
 */
#ifndef FL_REPORTS_RENDER_H
#define FL_REPORTS_RENDER_H

/* The program's full path found on PATH (caller frees), or NULL when it is not installed. */
char *rpt_render_which(const char *prog);

/*
 * Runs argv (argv[0] a path, NULL-terminated) in folder cwd, at most
 * limit_s seconds. Returns 0 when it exited with status 0, or -1 with *err
 * set (caller frees) to what went wrong and the end of what it printed.
 */
int rpt_render_run(const char *const *argv, const char *cwd, unsigned limit_s, char **err);

#endif
