/* Declarative option tables. A tool lists its options once; the same table parses
 * argv and prints --help, so usage and parsing cannot drift apart.
 *
 * Options and operands may be mixed; "--" ends the options. Long options take
 * "--name=value" or "--name value", short ones "-jN" or "-j N"; flags bundle ("-qv").
 * Parse errors are usage errors (64). */
#ifndef GTH_OPTS_H
#define GTH_OPTS_H

#include <stdint.h>
#include <stdio.h>
#include "error.h"

enum gth_opt_type {
	GTH_OPT_END = 0,
	GTH_OPT_FLAG,     /* int *: set to 1 */
	GTH_OPT_COUNT,    /* int *: incremented each time */
	GTH_OPT_STR,      /* const char **: the last value wins */
	GTH_OPT_LIST,     /* struct gth_strlist *: every value, in order */
	GTH_OPT_INT,      /* long *: checked against min and max */
	GTH_OPT_DURATION  /* int64_t *: milliseconds, from "30s", "5m", "1h30m" */
};

struct gth_opt {
	enum gth_opt_type type;
	char shortopt;          /* 0 for none */
	const char *longopt;    /* without "--"; NULL for none */
	void *value;
	const char *arg;        /* argument name for help, e.g. "N", "FILE" */
	const char *help;       /* one line; NULL hides the option from --help */
	long min, max;          /* GTH_OPT_INT bounds */
};

/* Values of a repeatable option or the operands; pointers into argv, not owned. */
struct gth_strlist {
	const char **v;
	size_t n;
};

#define GTH_STRLIST_INIT { NULL, 0 }
void gth_strlist_release(struct gth_strlist *l);
int gth_strlist_add(struct gth_strlist *l, const char *s);

struct gth_common_opts {
	int help;
	int version;
	int json;
	int quiet;
	int verbose;
	const char *config;
};

#define GTH_COMMON_OPTS_INIT { 0, 0, 0, 0, 0, NULL }

/* The options every tool takes; put at the end of a table, before GTH_OPTS_END. */
#define GTH_OPTS_COMMON(c) \
	{ GTH_OPT_FLAG, 0, "json", &(c)->json, NULL, "write one JSON event to stdout", 0, 0 }, \
	{ GTH_OPT_FLAG, 'q', "quiet", &(c)->quiet, NULL, "print errors only", 0, 0 }, \
	{ GTH_OPT_COUNT, 'v', "verbose", &(c)->verbose, NULL, "say more", 0, 0 }, \
	{ GTH_OPT_STR, 0, "config", &(c)->config, "FILE", "read configuration from FILE", 0, 0 }, \
	{ GTH_OPT_FLAG, 'h', "help", &(c)->help, NULL, "show this help and exit", 0, 0 }, \
	{ GTH_OPT_FLAG, 0, "version", &(c)->version, NULL, "show the version and exit", 0, 0 }
#define GTH_OPTS_END { GTH_OPT_END, 0, NULL, NULL, NULL, NULL, 0, 0 }

/* Parse argv[1..argc-1] (argv[0] is the program or verb); operands go to *operands
 * (release with gth_strlist_release). Returns 0 or -1 with a 64 error. */
int gth_opts_parse(const struct gth_opt *opts, int argc, char **argv,
		   struct gth_strlist *operands, struct gth_error *err);

/* Print "usage: SYNOPSIS" (each line of synopsis after the first is indented to
 * match), then the option list. */
void gth_opts_usage(FILE *out, const char *synopsis, const struct gth_opt *opts);

/* The front of a tool with commands. verbs is an array of n elements of size
 * stride, each starting with its command's name (a const char *). "TOOL" alone
 * prints the usage to stderr and gives 64; -h/--help prints it to stdout and gives 0;
 * --version prints the version and gives 0; an unknown command is a 64 error with the
 * usage. Otherwise *verb is the command's index and the result is -1: run it with
 * argv + 1. */
int gth_opts_dispatch(size_t *verb, int argc, char **argv, const char *tool,
		      const void *verbs, size_t n, size_t stride, void (*usage)(FILE *));

/* Parse a command's options from argv (argv[0] is the command) with table, whose
 * common options are c. A parse error is printed with "usage: SYNOPSIS" on stderr
 * and gives 64; --help prints the usage to stdout and gives 0; --version prints
 * the version and gives 0. Otherwise -q and -v are applied and the result is -1:
 * go on with *operands (release them in every case). */
int gth_opts_verb(struct gth_strlist *operands, const struct gth_opt *table,
		  const struct gth_common_opts *c, const char *tool, const char *synopsis,
		  int argc, char **argv);

/* Print "TOOL VERSION" to stdout. */
void gth_print_version(const char *tool);

#endif
