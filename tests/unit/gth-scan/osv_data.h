/* Where the shared real OSV test data lives, when it is there: $GTH_OSV_DATA, or
 * shared/data/osv beside the checkout (CI), or two levels up (a git worktree).
 * Returns a malloc'd path or NULL; tests skip their real-data part on NULL. */
#ifndef GTH_TEST_OSV_DATA_H
#define GTH_TEST_OSV_DATA_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static inline char *osv_test_data_dir(void)
{
	const char *env = getenv("GTH_OSV_DATA");
	const char *src = getenv("GTH_SRC");
	const char *cands[2] = { "../shared/data/osv", "../../shared/data/osv" };
	char path[4096];
	struct stat st;

	if (env && *env && stat(env, &st) == 0 && S_ISDIR(st.st_mode))
		return strdup(env);
	if (src == NULL)
		src = "../..";
	for (int i = 0; i < 2; i++) {
		snprintf(path, sizeof(path), "%s/%s", src, cands[i]);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return realpath(path, NULL);
	}
	return NULL;
}

#endif
