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
    case PX_ESTORE: return "the store answered an error";
    default: return "connection error";
    }
}
