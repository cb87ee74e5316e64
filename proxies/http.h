/*
 * http.h - the HTTP message model both runtimes share: a request or a
 * response with its headers, a body that is either real bytes (live) or
 * only a size (simulated), and Envoy's response flags, so that every failed
 * or retried request can say why.
 *
 * A message owns the strings it copies (in a small arena freed with it) and
 * may borrow strings that outlive it (configuration, static text): the
 * *_static setters do not copy. Header names are compared without regard
 * to case, as HTTP/1.1 says (RFC 9110 section 5.1).
 *
 * Not here: parsing and serialising HTTP/1.1 (live/), routing and the other
 * proxy decisions (the rest of proxies/), any I/O.
 */
#ifndef FL_PROXIES_HTTP_H
#define FL_PROXIES_HTTP_H

#include <stddef.h>
#include <stdint.h>

/*
 * Envoy's response flags (access-log %RESPONSE_FLAGS%, short names in
 * Envoy's docs "Access logging"): why a response is not the upstream's own.
 */
enum px_flag {
    PX_FLAG_UH = 1u << 0,    /* no healthy upstream host */
    PX_FLAG_UF = 1u << 1,    /* upstream connection failure */
    PX_FLAG_UO = 1u << 2,    /* upstream overflow (circuit breaking) */
    PX_FLAG_NR = 1u << 3,    /* no route configured */
    PX_FLAG_URX = 1u << 4,   /* upstream retry limit exceeded */
    PX_FLAG_UT = 1u << 5,    /* upstream request timeout */
    PX_FLAG_UC = 1u << 6,    /* upstream connection termination */
    PX_FLAG_UR = 1u << 7,    /* upstream remote reset */
    PX_FLAG_LR = 1u << 8,    /* connection local reset */
    PX_FLAG_DI = 1u << 9,    /* request delayed by fault injection */
    PX_FLAG_FI = 1u << 10,   /* request aborted by fault injection */
    PX_FLAG_RL = 1u << 11,   /* rate limited locally */
    PX_FLAG_UAEX = 1u << 12, /* unauthorized (authorization policy) */
    PX_FLAG_DC = 1u << 13,   /* downstream connection termination */
    PX_FLAG_NC = 1u << 14,   /* no cluster found */
    PX_FLAG_COUNT = 15,
};

/* "UH", "UF"... for one flag bit; NULL if not a flag. */
const char *px_flag_name(uint32_t flag);

/* All set flags as Envoy prints them ("UO,URX"), or "-" when none; into buf. */
const char *px_flags_format(uint32_t flags, char *buf, size_t size);

struct px_header {
    const char *name, *value;
};

#define PX_HEADERS_INLINE 8
#define PX_HEADERS_MAX    256

struct px_arena_chunk;

struct px_msg {
    /* request line (requests) */
    const char *method;
    const char *authority; /* Host */
    const char *path;      /* without the query */
    const char *query;     /* after '?', or NULL */
    /* status line (responses): status > 0 marks a response */
    int status;
    uint32_t flags; /* PX_FLAG_* */
    struct px_header *headers;
    uint32_t n_headers, cap_headers;
    uint64_t body_bytes; /* the body's size; the bytes themselves only in the live runtime */
    const uint8_t *body;
    struct px_header inline_headers[PX_HEADERS_INLINE];
    struct px_arena_chunk *arena;
    /*
     * Appended with tracing: the delay TCP retransmissions (RTO, SYN
     * retries) added to this message on the hop that delivered it; the
     * simulated network sets it when it sends the message (0 live).
     */
    int64_t rtx_ns;
};

/* Prepares an empty message. */
void px_msg_init(struct px_msg *m);

/* Frees what the message owns and makes it empty again. */
void px_msg_clear(struct px_msg *m);
/*
 * px_msg_clear for a message to be used again (a pool's): empty as after
 * px_msg_init, but it keeps one arena chunk and its header array, so that
 * the next message copied into it allocates nothing.
 */
void px_msg_recycle(struct px_msg *m);

/* Copies a string into the message's arena (lives as long as the message). */
const char *px_msg_strdup(struct px_msg *m, const char *s, size_t len);
/* n bytes (n > 0) of the message's arena, to write a string into (lives as long as the message). */
char *px_msg_alloc(struct px_msg *m, size_t n);

/* The first value of a header (any case), or NULL. */
const char *px_msg_header(const struct px_msg *m, const char *name);

/*
 * Adds a header. Both strings are copied (px_msg_add_header) or borrowed
 * (px_msg_add_header_static). Returns 0, or -1 when the message already has
 * PX_HEADERS_MAX headers.
 */
int px_msg_add_header(struct px_msg *m, const char *name, const char *value);
int px_msg_add_header_static(struct px_msg *m, const char *name, const char *value);

/* Replaces every value of a header by one (copied); adds it if absent. */
int px_msg_set_header(struct px_msg *m, const char *name, const char *value);

/* Removes every value of a header; returns how many were removed. */
int px_msg_remove_header(struct px_msg *m, const char *name);

/* Copies everything of src into dst (an initialised, empty message). */
void px_msg_copy(struct px_msg *dst, const struct px_msg *src);

/*
 * The size of the message as HTTP/1.1 puts it on the wire: start line,
 * headers (with a Content-Length), blank line and body.
 */
uint64_t px_msg_wire_bytes(const struct px_msg *m);

/* The reason phrase of a status code ("OK", "Service Unavailable"...). */
const char *px_status_reason(int status);

#endif
