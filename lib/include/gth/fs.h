/* Files: atomic writes, directories, the cache folder. */
#ifndef GTH_FS_H
#define GTH_FS_H

#include <stddef.h>
#include <sys/types.h>
#include "buf.h"
#include "error.h"

/* Write data to path through a temporary file in the same folder, fsync, rename:
 * readers see the old file or the new one, never a part. mode e.g. 0644. A path
 * that is a device or a FIFO (/dev/null, /dev/stdout) is written in place, never
 * replaced. */
int gth_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  struct gth_error *err);
/* mkdir -p with mode for the folders it creates. */
int gth_mkdir_p(const char *path, mode_t mode, struct gth_error *err);
/* $XDG_CACHE_HOME/gth[/sub] (else ~/.cache/gth[/sub]), created 0700; into out. */
int gth_cache_dir(struct gth_buf *out, const char *sub, struct gth_error *err);
/* a + "/" + b (no doubled slash) into out (cleared first). */
int gth_path_join(struct gth_buf *out, const char *a, const char *b);
int gth_file_exists(const char *path);
int gth_is_dir(const char *path);
/* Remove a tree (like rm -rf); a missing path is success. */
int gth_remove_tree(const char *path, struct gth_error *err);

#endif
