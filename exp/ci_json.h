/*
 * ci_json.h - an interval as compare.json and sweep.json write it:
 * {"mean", "half", "sd", "n"}, NAN as null.
 */
#ifndef FL_EXP_CI_JSON_H
#define FL_EXP_CI_JSON_H

#include "exp/stats.h"
#include "reports/json.h"

/* ci as a JSON object, its figures with `decimals` decimals. */
void exp_ci_json(struct rpt_json *j, const struct exp_ci *ci, int decimals);

#endif
