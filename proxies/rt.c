/*
 * rt.c - what every runtime shares: the names of the connection errors.
 */
#include "proxies/rt.h"

const char *px_strerror(int code)
{
    switch (code) {
    case PX_OK: return "ok";
    case PX_ETIMEDOUT: return "timed out";
    case PX_ECONNREFUSED: return "connection refused";
    case PX_ERESET: return "connection reset";
    case PX_ECLOSED: return "connection closed";
    case PX_EDNS: return "name resolution failed";
    default: return "connection error";
    }
}
