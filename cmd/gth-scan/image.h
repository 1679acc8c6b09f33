/* gth-scan image: the packages inside an image, from its layers alone (no daemon).
 *
 * The image comes from a registry (layer by layer through gth/registry.h, each
 * streamed to a temporary file and read once), an OCI layout (oci:DIR[:TAG], or a
 * directory), or a docker save archive (docker-archive:FILE, or a .tar file).
 * Layers are applied in order with their whiteouts, keeping only the files that
 * name packages: os-release, dpkg's status and status.d, apk's installed, language
 * lockfiles, and node_modules package.json files, and the secrets found in the
 * files that remain in the last layer's view (files up to 1 MiB, not binary).
 * OS packages are matched by their
 * source package in the release's OSV ecosystem (Debian:12, Alpine:v3.20,
 * Ubuntu:22.04:LTS). Registries on localhost/127.0.0.1, and those named in
 * GTH_INSECURE_REGISTRIES (comma-separated host[:port]), are spoken to over HTTP. */
#ifndef GTH_SCAN_IMAGE_H
#define GTH_SCAN_IMAGE_H

#include <stddef.h>
#include "gth/buf.h"
#include "gth/error.h"
#include "finding.h"
#include "lockfile.h"

/* The files of interest, merged across layers. */
struct img_file {
	char *path;          /* normalised, relative to the image root */
	char *link;          /* symlink or hard link target, or NULL */
	int hardlink;
	struct gth_buf data;     /* kept files only */
	size_t layer;
	int keep;                /* a file that names packages */
	struct scan_findings secrets; /* the secrets found in this file */
};

struct img_fs {
	struct img_file *v;
	size_t n, cap;
};

#define IMG_FS_INIT { NULL, 0, 0 }

/* 1 when a path (normalised) is a file gth-scan keeps from a layer. */
int img_interesting(const char *path);
void img_fs_release(struct img_fs *fs);

/* The OS: os-release's ID and VERSION_ID into the OSV ecosystem for its packages
 * ("Debian:12", "Alpine:v3.20"), malloc'd into *eco (NULL when no os-release). */
int img_os_ecosystem(char **eco, char **pretty, const char *os_release, size_t len);
/* dpkg status (or one status.d file) and apk installed databases into packages
 * named by source package, the binaries that came from each in their path. */
int img_dpkg_packages(struct lock_pkgs *out, const char *ecosystem, const char *file,
		      const char *data, size_t len, struct gth_error *err);
int img_apk_packages(struct lock_pkgs *out, const char *ecosystem, const char *file,
		     const char *data, size_t len, struct gth_error *err);

#endif
