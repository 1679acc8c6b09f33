/* Placeholders for part 2 of gth-scan (OSV matching, lockfiles, image, db): the
 * helper working on it deletes this file when it lands the real functions. */
#include "gth/error.h"
#include "scan.h"

int scan_image(struct scan_result *res, const struct scan_opts *o, const char *image,
	       struct gth_error *err)
{
	(void)res;
	(void)o;
	(void)image;
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "image: not implemented yet");
}

int scan_db(const struct scan_opts *o, const struct gth_strlist *operands,
	    struct gth_event *ev, struct gth_error *err)
{
	(void)o;
	(void)operands;
	(void)ev;
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "db: not implemented yet") < 0 ?
		       GTH_EXIT_SOFTWARE : 0;
}

int scan_vuln_wants(const char *relpath)
{
	(void)relpath;
	return 0;
}

int scan_vuln_file(struct scan_result *res, const struct scan_opts *o, const char *relpath,
		   const char *data, size_t len, struct gth_error *err)
{
	(void)res;
	(void)o;
	(void)relpath;
	(void)data;
	(void)len;
	(void)err;
	return 0;
}

void scan_vuln_end(struct scan_result *res)
{
	(void)res;
}
