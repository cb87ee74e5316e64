/*
 * replay.c - runs a fuzz target on saved inputs, without libFuzzer: the
 * regression test of `make fuzz-replay` (and so of `make test`), built with
 * the project's compiler and flags.
 *
 *   replay-TARGET DIR|FILE...
 *
 * Every regular file of each folder (names starting with '.' aside, in
 * name order, so runs are alike) and every file named is read whole into
 * a buffer of exactly its size, as libFuzzer passes it (so AddressSanitizer
 * sees a read past its end), and given to the target's
 * LLVMFuzzerTestOneInput. A broken contract or a crash stops the program
 * as it would stop libFuzzer; the input that did it is named on stderr (by
 * a SIGABRT handler, and by the sanitizers' death callback when they run).
 *
 * Exit status: 0 when every input ran, 2 when a folder or file cannot be
 * read. Prints one line: how many inputs, and how long they took.
 *
 * Not here: mutation, coverage (libFuzzer's, with `make fuzz`).
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/alloc.h"
#include "fuzz/fuzz.h"

/* The sanitizers' hook (weak: NULL in a build without them). */
void __sanitizer_set_death_callback(void (*cb)(void)) __attribute__((weak));

static const char *current; /* the input being run, named if it crashes */

static void name_input(void)
{
    static const char what[] = "replay: crashed on ";
    if (!current) return;
    if (write(2, what, sizeof what - 1) < 0 || write(2, current, strlen(current)) < 0 ||
        write(2, "\n", 1) < 0)
        return;
}

static void on_signal(int sig)
{
    name_input();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Reads a file whole; returns 0 with *data (caller frees; NULL when empty) and *size. */
static int slurp(const char *path, uint8_t **data, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, got;
    do {
        FL_GROW(buf, cap, len + 65536);
        got = fread(buf + len, 1, cap - len, f);
        len += got;
    } while (got);
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return -1;
    }
    /* exactly len bytes, so that reading past the end is caught */
    *data = len ? fl_malloc(len) : NULL;
    if (len) memcpy(*data, buf, len);
    free(buf);
    *size = len;
    return 0;
}

static int run_file(const char *path)
{
    uint8_t *data;
    size_t size;
    if (slurp(path, &data, &size)) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        return -1;
    }
    current = path;
    LLVMFuzzerTestOneInput(data ? data : (const uint8_t *)"", size);
    current = NULL;
    free(data);
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every file of a folder in name order; returns how many, or -1. */
static long run_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "replay: cannot open %s\n", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        FL_GROW(names, cap, n + 1);
        names[n++] = fl_asprintf("%s/%s", dir, e->d_name);
    }
    closedir(d);
    if (n) qsort(names, n, sizeof *names, by_name);
    long ran = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
            if (run_file(names[i])) ran = -1;
            if (ran >= 0) ran++;
        }
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s DIR|FILE...\n", argv[0]);
        return 2;
    }
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(name_input);
    signal(SIGABRT, on_signal);
    if (!__sanitizer_set_death_callback) { /* AddressSanitizer reports these itself */
        signal(SIGSEGV, on_signal);
        signal(SIGBUS, on_signal);
        signal(SIGFPE, on_signal);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long total = 0;
    int failed = 0;
    for (int i = 1; i < argc; i++) {
        struct stat st;
        long n = -1;
        if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode))
            n = run_dir(argv[i]);
        else if (run_file(argv[i]) == 0)
            n = 1;
        if (n < 0)
            failed = 1;
        else
            total += n;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    const char *name = strrchr(argv[0], '/');
    printf("%s: %ld inputs in %.2f s\n", name ? name + 1 : argv[0], total, s);
    return failed ? 2 : 0;
}
