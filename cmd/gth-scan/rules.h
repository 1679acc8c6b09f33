/* The built-in secret rules: id, title, severity, keywords and the PCRE2 pattern
 * that confirms a candidate region. secrets.c compiles them with the custom rules
 * of gth.yaml. */
#ifndef GTH_SCAN_RULES_H
#define GTH_SCAN_RULES_H

#include <stddef.h>
#include "finding.h"

#define SCAN_RULE_BLOCK 0x1u   /* spans lines (key blocks): the region is not one line */
#define SCAN_RULE_GENERIC 0x2u /* a generic assignment: yields to a specific rule on the same bytes */

struct scan_rule_def {
	const char *id;
	const char *title;
	enum scan_severity severity;
	const char *keywords; /* '|'-separated, lower case; one must occur near a match */
	const char *regex;    /* PCRE2, compiled with PCRE2_MULTILINE */
	int group;            /* capture group holding the secret; 0: the whole match */
	double entropy;       /* minimum Shannon entropy (bits per byte) of the secret; 0: none */
	unsigned flags;
};

extern const struct scan_rule_def scan_builtin_rules[];
extern const size_t scan_builtin_rule_count;

#endif
