/* Secret detection. The rule set (built-in rules, plus scan.rules of gth.yaml,
 * minus scan.disable) is compiled once: every rule's keywords go into one
 * Aho-Corasick automaton run over the lower-cased bytes of a file; a rule's PCRE2
 * pattern (JIT-compiled) runs only in the region around one of its keywords (the
 * line, or the following block for key blocks). A match becomes a finding unless
 * its secret is a placeholder, a generic rule's secret is below the rule's
 * entropy, the line says gth:allow or gitleaks:allow, or (generic rules) a
 * specific rule already matched the same bytes.
 *
 * A compiled set is read-only: threads may scan with one set at once. */
#ifndef GTH_SCAN_SECRETS_H
#define GTH_SCAN_SECRETS_H

#include <stddef.h>
#include "finding.h"
#include "gth/error.h"
#include "gth/yaml.h"

struct scan_secrets;

/* cfg is the "scan" section of gth.yaml or NULL. Errors in custom rules or an
 * unknown id in scan.disable are 78, naming file and line. */
int scan_secrets_new(struct scan_secrets **out, const struct gth_node *cfg,
		     struct gth_error *err);
void scan_secrets_free(struct scan_secrets *s);

/* Scan one file's bytes; findings (kind secret, masked match, fingerprint from
 * rule, path and the secret) are appended to out. -1 only when memory runs out. */
int scan_secrets_scan(const struct scan_secrets *s, struct scan_findings *out,
		      const char *target, const char *path, const char *data, size_t len);

/* Rules of the set, for listing. */
size_t scan_secrets_count(const struct scan_secrets *s);
void scan_secrets_rule(const struct scan_secrets *s, size_t i, const char **id,
		       const char **title, enum scan_severity *sev);

/* Shannon entropy in bits per byte. */
double scan_entropy(const char *s, size_t n);
/* 1 when a value looks like a placeholder: ${VAR}, {{ x }}, <x>, changeme,
 * example, xxxx, your_..., a value of one repeated character. */
int scan_is_placeholder(const char *s, size_t n);

#endif
