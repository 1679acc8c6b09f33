/* Small helpers: numbers, durations, time, strings, globs, randomness. */
#ifndef GTH_UTIL_H
#define GTH_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "error.h"

#define GTH_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* strtonum-style: the whole string is a decimal integer in [min, max]. 0 or -1. */
int gth_parse_long(const char *s, long min, long max, long *out);
/* "500ms", "30s", "5m", "1h30m", "2d"; a bare number is seconds. 0 or -1. */
int gth_parse_duration(const char *s, int64_t *ms);
/* "1.2s", "3m05s", "450ms" into buf; returns buf. */
char *gth_format_duration(int64_t ms, char *buf, size_t size);

int64_t gth_now_ms(void);        /* monotonic clock */
int64_t gth_wall_ms(void);       /* Unix time in milliseconds */
/* RFC 3339 UTC with a Z, "2026-11-26T10:00:00Z", into buf (>= 21 bytes). */
char *gth_format_time(time_t t, char *buf, size_t size);
/* Parse RFC 3339 ("2026-11-26T10:00:00Z", fractions and offsets allowed). 0 or -1. */
int gth_parse_time(const char *s, time_t *out);
void gth_sleep_ms(int64_t ms);

/* malloc'd printf; NULL only when memory runs out. */
char *gth_strdupf(const char *fmt, ...) GTH_PRINTF(1, 2);
int gth_starts_with(const char *s, const char *prefix);
int gth_ends_with(const char *s, const char *suffix);
/* strlcpy: copies at most size-1 bytes, always terminates; returns strlen(src). */
size_t gth_strlcpy(char *dst, const char *src, size_t size);

/* Shell-style glob on '/'-separated paths: '*' and '?' stay within a segment,
 * '**' spans segments, [...] classes; a pattern without '/' matches the base name
 * at any depth (like .gitignore). 1 on a match. */
int gth_glob_match(const char *pattern, const char *path);

/* Cryptographically random bytes (getrandom); 0 or -1. */
int gth_random(void *buf, size_t len);
/* Uniform in [0, n). */
uint64_t gth_random_below(uint64_t n);

/* Number of online CPUs, at least 1. */
int gth_ncpu(void);

#endif
