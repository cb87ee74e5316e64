/*
 * fuzz.h - what every fuzz target (fuzz/<target>.c) defines, and the
 * check the targets share.
 *
 * A target is one file with LLVMFuzzerTestOneInput, libFuzzer's entry
 * point: it is linked with libFuzzer by `make fuzz` (clang, in
 * build-fuzz/), and with fuzz/replay.c by `make fuzz-replay` (the
 * project's compiler), which runs it on every file of the seed corpus and
 * of the past crashes. A target frees all it allocates (LeakSanitizer runs
 * under libFuzzer), writes no file and prints nothing on success.
 *
 * A target checks the contracts of the code it drives (an error comes with
 * a message, a split of the input does not change what is parsed) with
 * FUZZ_CHECK, which prints the broken contract and aborts, so libFuzzer and
 * the replay both see a crash.
 *
 * Not here: anything about one input format (each target's file).
 */
#ifndef FL_FUZZ_FUZZ_H
#define FL_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* Runs the code under test on one input; always returns 0 (libFuzzer's convention). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken contract: say which, and crash (so that the input is kept as a finding). */
#define FUZZ_CHECK(cond, what)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz: contract broken: %s (%s) at %s:%d\n", what, #cond, __FILE__,    \
                    __LINE__);                                                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
