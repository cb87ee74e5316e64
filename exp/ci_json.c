/*
 * ci_json.c - an interval as a JSON object (ci_json.h).
 */
#include "exp/ci_json.h"

#include "base/assert.h"

void exp_ci_json(struct rpt_json *j, const struct exp_ci *ci, int decimals)
{
    FL_ASSERT(j && ci && decimals >= 0 && decimals <= 9);
    rpt_json_object_begin(j);
    rpt_json_key(j, "mean");
    rpt_json_double(j, ci->mean, decimals);
    rpt_json_key(j, "half");
    rpt_json_double(j, ci->half, decimals);
    rpt_json_key(j, "sd");
    rpt_json_double(j, ci->sd, decimals);
    rpt_json_key(j, "n");
    rpt_json_uint(j, ci->n);
    rpt_json_object_end(j);
}
