/* Aho-Corasick over ASCII-lower-cased bytes: many keywords found in one pass.
 * Patterns are matched case-insensitively (ASCII); the automaton is a full DFA
 * (256 transitions a state), built once and then read-only, so one automaton may
 * be shared by threads scanning different buffers. */
#ifndef GTH_SCAN_AC_H
#define GTH_SCAN_AC_H

#include <stddef.h>
#include <stdint.h>

struct scan_ac;

/* Build from n patterns (NUL-terminated, non-empty); pattern i reports id i.
 * NULL when memory runs out or a pattern is empty. */
struct scan_ac *scan_ac_new(const char *const *patterns, size_t n);
void scan_ac_free(struct scan_ac *ac);
size_t scan_ac_states(const struct scan_ac *ac);

/* Called for every occurrence: id of the pattern and the offset one past its last
 * byte. A non-zero return stops the scan. */
typedef int (*scan_ac_cb)(void *ctx, uint32_t id, size_t end);

/* Scan data; returns 0, or the callback's non-zero value. Occurrences are reported
 * in the order of their ends (and, for one end, longest pattern first), as one pass
 * from the first byte would find them, however the scan is split inside. */
int scan_ac_scan(const struct scan_ac *ac, const void *data, size_t len, scan_ac_cb cb,
		 void *ctx);

#endif
