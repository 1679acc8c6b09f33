/* Part 1 entry points not written yet; replaced by walk.c, report.c, finish.c. */
#include "scan.h"

int scan_fs(struct scan_result *res, const struct scan_opts *o, const char *path,
	    struct gth_error *err)
{
	(void)res;
	(void)o;
	(void)path;
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "fs: not implemented yet");
}

int scan_report_load(struct scan_result *res, const struct scan_opts *o, const char *file,
		     struct gth_error *err)
{
	(void)res;
	(void)o;
	(void)file;
	return gth_error_set(err, GTH_EXIT_SOFTWARE, "report: not implemented yet");
}

int scan_finish(struct scan_result *res, const struct scan_opts *o, struct gth_event *ev,
		struct gth_error *err)
{
	(void)res;
	(void)o;
	(void)ev;
	(void)err;
	return 0;
}
