#include "gth/ref.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gth/util.h"

static int is_lower_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int is_word(int c)
{
	return isalnum((unsigned char)c) || c == '_';
}

static int is_hex_lower(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static char *dup_range(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* path-component := [a-z0-9]+ (separator [a-z0-9]+)*, separator := [_.]|__|-+ */
static int valid_path_component(const char *s, size_t n)
{
	size_t i = 0;

	if (n == 0 || !is_lower_alnum((unsigned char)s[0]))
		return 0;
	while (i < n) {
		while (i < n && is_lower_alnum((unsigned char)s[i]))
			i++;
		if (i == n)
			return 1;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return 0;
		}
		if (i == n || !is_lower_alnum((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

static int valid_path(const char *s, size_t n)
{
	size_t start = 0, i;

	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!valid_path_component(s + start, i - start))
				return 0;
			start = i + 1;
		}
	}
	return 1;
}

static int valid_domain_component(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return 0;
	return 1;
}

static int valid_port(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return 0;
	return 1;
}

/* host [':' port], host := domain-name | '[' IPv6 ']' */
static int valid_domain(const char *s, size_t n)
{
	size_t i, start, hostlen;

	if (n > 0 && s[0] == '[') {
		for (i = 1; i < n && s[i] != ']'; i++)
			if (!isxdigit((unsigned char)s[i]) && s[i] != ':')
				return 0;
		if (i == n || i == 1)
			return 0;
		hostlen = i + 1;
	} else {
		for (hostlen = 0; hostlen < n && s[hostlen] != ':'; hostlen++)
			;
		start = 0;
		for (i = 0; i <= hostlen; i++) {
			if (i == hostlen || s[i] == '.') {
				if (!valid_domain_component(s + start, i - start))
					return 0;
				start = i + 1;
			}
		}
	}
	if (hostlen == n)
		return 1;
	if (s[hostlen] != ':')
		return 0;
	return valid_port(s + hostlen + 1, n - hostlen - 1);
}

int gth_ref_check_tag(const char *tag, struct gth_error *err)
{
	size_t n = strlen(tag), i;

	if (n == 0)
		return gth_error_set(err, GTH_EXIT_DATAERR, "invalid tag '': empty");
	if (n > GTH_REF_TAG_MAX)
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "invalid tag '%.20s...': longer than %d characters", tag,
				     GTH_REF_TAG_MAX);
	if (!is_word((unsigned char)tag[0]))
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "invalid tag '%s': must start with a letter, digit or '_'", tag);
	for (i = 1; i < n; i++)
		if (!is_word((unsigned char)tag[i]) && tag[i] != '.' && tag[i] != '-')
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "invalid tag '%s': character '%c' not allowed", tag, tag[i]);
	return 0;
}

int gth_ref_check_digest(const char *digest, struct gth_error *err)
{
	const char *colon = strchr(digest, ':');
	size_t alen, hlen, want = 0, i;

	if (!colon)
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "invalid digest '%s': expected ALGORITHM:HEX", digest);
	alen = (size_t)(colon - digest);
	hlen = strlen(colon + 1);
	/* algorithm := [A-Za-z][A-Za-z0-9]* ([+._-][A-Za-z][A-Za-z0-9]*)* */
	for (i = 0; i < alen; i++) {
		int c = (unsigned char)digest[i];
		int first = i == 0 || strchr("+._-", digest[i - 1]) != NULL;

		if (first ? !isalpha(c) : !(isalnum(c) || (strchr("+._-", c) && i + 1 < alen)))
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "invalid digest '%s': bad algorithm", digest);
	}
	if (alen == 0)
		return gth_error_set(err, GTH_EXIT_DATAERR, "invalid digest '%s': bad algorithm",
				     digest);
	if (hlen < 32)
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "invalid digest '%s': fewer than 32 hex digits", digest);
	for (i = 0; i < hlen; i++)
		if (!isxdigit((unsigned char)colon[1 + i]))
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "invalid digest '%s': not hexadecimal", digest);
	if (alen == 6 && memcmp(digest, "sha256", 6) == 0)
		want = 64;
	else if (alen == 6 && memcmp(digest, "sha512", 6) == 0)
		want = 128;
	else
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "invalid digest '%s': unsupported algorithm '%.*s'", digest,
				     (int)alen, digest);
	if (hlen != want)
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "invalid digest '%s': %.*s needs %zu hex digits, not %zu", digest,
				     (int)alen, digest, want, hlen);
	for (i = 0; i < hlen; i++)
		if (!is_hex_lower((unsigned char)colon[1 + i]))
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "invalid digest '%s': hex digits must be lowercase", digest);
	return 0;
}

void gth_ref_release(struct gth_ref *ref)
{
	if (!ref)
		return;
	free(ref->domain);
	free(ref->path);
	free(ref->tag);
	free(ref->digest);
	ref->domain = ref->path = ref->tag = ref->digest = NULL;
}

int gth_ref_parse(struct gth_ref *ref, const char *s, struct gth_error *err)
{
	const char *at, *name_end, *slash, *colon, *p, *rem;
	size_t name_len, dlen = 0, i;
	int has_upper = 0, ret = -1;
	struct gth_buf path = GTH_BUF_INIT;

	gth_ref_release(ref);
	if (!s || !*s)
		return gth_error_set(err, GTH_EXIT_DATAERR, "invalid reference '': empty");
	if (strlen(s) == 64) {
		for (i = 0; i < 64 && is_hex_lower((unsigned char)s[i]); i++)
			;
		if (i == 64)
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "invalid reference '%s': a 64-digit hexadecimal string is an image id, not a name",
					     s);
	}
	at = strchr(s, '@');
	name_end = at ? at : s + strlen(s);
	/* the tag is after the last ':' that follows the last '/' */
	slash = NULL;
	colon = NULL;
	for (p = s; p < name_end; p++) {
		if (*p == '/')
			slash = p;
		else if (*p == ':')
			colon = p;
	}
	if (colon && slash && colon < slash)
		colon = NULL;
	if (colon && !slash) {
		/* "host:5000" alone is a name with a tag "5000"; keep the grammar's view */
	}
	/* "[::1]:5000/x" — colons inside brackets in the first component are not tags */
	name_len = (size_t)((colon ? colon : name_end) - s);
	if (name_len == 0)
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "invalid reference '%s': no repository name", s);
	if (name_len > GTH_REF_NAME_MAX)
		return gth_error_set(err, GTH_EXIT_DATAERR,
				     "invalid reference '%.40s...': name longer than %d characters", s,
				     GTH_REF_NAME_MAX);
	/* split the domain */
	slash = memchr(s, '/', name_len);
	if (slash) {
		dlen = (size_t)(slash - s);
		for (i = 0; i < dlen; i++)
			if (isupper((unsigned char)s[i]))
				has_upper = 1;
	}
	if (slash && (memchr(s, '.', dlen) || memchr(s, ':', dlen) ||
		      (dlen == 9 && memcmp(s, "localhost", 9) == 0) || has_upper || s[0] == '[')) {
		if (!valid_domain(s, dlen))
			return gth_error_set(err, GTH_EXIT_DATAERR,
					     "invalid reference '%s': invalid registry host '%.*s'", s,
					     (int)dlen, s);
		if (dlen == 15 && memcmp(s, "index.docker.io", 15) == 0)
			ref->domain = strdup("docker.io");
		else
			ref->domain = dup_range(s, dlen);
		rem = slash + 1;
	} else {
		ref->domain = strdup("docker.io");
		rem = s;
	}
	if (!ref->domain)
		goto oom;
	dlen = (size_t)(s + name_len - rem);
	for (i = 0; i < dlen; i++)
		if (isupper((unsigned char)rem[i])) {
			gth_error_set(err, GTH_EXIT_DATAERR,
				      "invalid reference '%s': repository name must be lowercase", s);
			goto done;
		}
	if (!valid_path(rem, dlen)) {
		gth_error_set(err, GTH_EXIT_DATAERR,
			      "invalid reference '%s': invalid repository path '%.*s'", s, (int)dlen,
			      rem);
		goto done;
	}
	if (strcmp(ref->domain, "docker.io") == 0 && !memchr(rem, '/', dlen))
		if (gth_buf_puts(&path, "library/") < 0)
			goto oom;
	if (gth_buf_put(&path, rem, dlen) < 0)
		goto oom;
	if (strlen(ref->domain) + 1 + path.len > GTH_REF_NAME_MAX) {
		gth_error_set(err, GTH_EXIT_DATAERR,
			      "invalid reference '%.40s...': name longer than %d characters", s,
			      GTH_REF_NAME_MAX);
		goto done;
	}
	ref->path = gth_buf_detach(&path);
	if (!ref->path)
		goto oom;
	if (colon) {
		ref->tag = dup_range(colon + 1, (size_t)(name_end - colon - 1));
		if (!ref->tag)
			goto oom;
		if (gth_ref_check_tag(ref->tag, err) < 0) {
			gth_error_prefix(err, "invalid reference '%s': ", s);
			goto done;
		}
	}
	if (at) {
		ref->digest = strdup(at + 1);
		if (!ref->digest)
			goto oom;
		if (gth_ref_check_digest(ref->digest, err) < 0) {
			gth_error_prefix(err, "invalid reference '%s': ", s);
			goto done;
		}
	}
	ret = 0;
	goto done;
oom:
	gth_error_set(err, GTH_EXIT_SOFTWARE, "out of memory");
done:
	gth_buf_release(&path);
	if (ret < 0)
		gth_ref_release(ref);
	return ret;
}

int gth_ref_format_name(struct gth_buf *out, const struct gth_ref *ref)
{
	gth_buf_clear(out);
	return gth_buf_printf(out, "%s/%s", ref->domain, ref->path);
}

int gth_ref_format(struct gth_buf *out, const struct gth_ref *ref)
{
	if (gth_ref_format_name(out, ref) < 0)
		return -1;
	if (ref->tag && gth_buf_printf(out, ":%s", ref->tag) < 0)
		return -1;
	if (ref->digest && gth_buf_printf(out, "@%s", ref->digest) < 0)
		return -1;
	return 0;
}

const char *gth_ref_api_host(const struct gth_ref *ref)
{
	if (strcmp(ref->domain, "docker.io") == 0)
		return "registry-1.docker.io";
	return ref->domain;
}

const char *gth_ref_selector(const struct gth_ref *ref)
{
	if (ref->digest)
		return ref->digest;
	if (ref->tag)
		return ref->tag;
	return "latest";
}
