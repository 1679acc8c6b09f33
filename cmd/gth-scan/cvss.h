/* CVSS base scores computed from vector strings, and the qualitative rating.
 * Versions 3.0, 3.1 (FIRST specification formulas, with 3.1's Roundup) and 4.0
 * (the MacroVector lookup and interpolation of the 4.0 specification). Only base
 * metrics count: threat and environmental metrics in a 4.0 vector are read as the
 * specification says (E:X as E:A, CR/IR/AR:X as H, M* overriding base values). */
#ifndef GTH_SCAN_CVSS_H
#define GTH_SCAN_CVSS_H

/* 0 and the score (0.0 .. 10.0, one decimal), or -1 when the vector is not a
 * valid "CVSS:3.x/..." or "CVSS:4.0/..." vector with every base metric once. */
int osv_cvss_score(const char *vector, double *score);

/* 0 none, 1 low (0.1-3.9), 2 medium, 3 high, 4 critical (9.0-10.0). */
int osv_cvss_rating(double score);

#endif
