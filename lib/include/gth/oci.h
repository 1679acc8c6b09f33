/* OCI images on disk: image layouts (directories), docker-save archives (old
 * "<id>/layer.tar" ones and newer ones that hold an OCI layout), writing layouts,
 * and safe iteration over tar layers.
 *
 * A source (struct gth_oci_src) is opened from a spec:
 *   oci:DIR[:TAG]            an OCI image layout directory; TAG picks the index.json
 *                            entry whose org.opencontainers.image.ref.name is TAG
 *   docker-archive:FILE[:REF] a `docker save` tarball; REF picks a RepoTags entry
 *   oci-archive:FILE[:TAG]   a tar of an OCI layout
 *   DIR                      a directory: same as oci:DIR
 * Without TAG a layout must hold one entry, or entries that all carry a platform
 * (then index.json itself is the image index). The root descriptor is the manifest
 * or index to push or scan; for old docker archives an OCI manifest is made up in
 * memory (layers uncompressed, application/vnd.oci.image.layer.v1.tar).
 *
 * Errors: a missing file or directory is 66; a layout whose index.json or manifest
 * is not JSON or not an image, a blob that is missing, or one whose size or digest
 * does not match its descriptor, is 65. A source may be read from several threads
 * at once (blobs are read with pread); opening and closing are not thread-safe. */
#ifndef GTH_OCI_H
#define GTH_OCI_H

#include <stdint.h>
#include <sys/types.h>
#include <cjson/cJSON.h>
#include "buf.h"
#include "error.h"

#define GTH_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define GTH_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define GTH_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define GTH_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define GTH_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define GTH_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define GTH_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define GTH_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define GTH_MT_DOCKER_CONFIG "application/vnd.docker.container.image.v1+json"
#define GTH_MT_DOCKER_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define GTH_ANNOT_REF_NAME "org.opencontainers.image.ref.name"

/* "sha256:" + 64 hex + NUL */
#define GTH_DIGEST_STR_LEN 72

struct gth_oci_desc {
	char *media_type;
	char *digest;
	int64_t size;
	char *platform;   /* "os/arch[/variant]" when the descriptor has one, else NULL */
};

/* 1 for an index (OCI index or docker manifest list) media type. */
int gth_oci_is_index(const char *media_type);
/* 1 for a manifest (OCI or docker schema 2) media type. */
int gth_oci_is_manifest(const char *media_type);

/* Parse a descriptor object ({mediaType, digest, size, platform}); 65 when a field
 * is missing or the digest is invalid. */
int gth_oci_desc_from_json(struct gth_oci_desc *d, const cJSON *obj, const char *what,
			   struct gth_error *err);
void gth_oci_desc_release(struct gth_oci_desc *d);

struct gth_oci_src;

int gth_oci_src_open(struct gth_oci_src **out, const char *spec, struct gth_error *err);
void gth_oci_src_close(struct gth_oci_src *s);
/* The root descriptor (manifest or index). */
const struct gth_oci_desc *gth_oci_src_root(const struct gth_oci_src *s);
/* A short name for messages: "oci:DIR:TAG". */
const char *gth_oci_src_name(const struct gth_oci_src *s);

/* Where a blob's bytes are: size bytes from off in fd (owned by the source; read
 * with pread only), or, for made-up blobs, in memory at data. */
struct gth_oci_blob {
	int fd;
	off_t off;
	int64_t size;
	const char *data;
};

/* Locate a blob; 65 when the layout lacks it. Does not check its digest. */
int gth_oci_src_blob(struct gth_oci_blob *out, struct gth_oci_src *s, const char *digest,
		     struct gth_error *err);
/* Read a whole blob (at most max bytes, 0: 16 MiB) and check its digest (and size
 * when expected_size >= 0): 65 on a mismatch. */
int gth_oci_src_read(struct gth_buf *out, struct gth_oci_src *s, const char *digest,
		     int64_t expected_size, size_t max, struct gth_error *err);
/* Read up to n bytes of a located blob from pos; returns bytes read or -1 (errno). */
ssize_t gth_oci_blob_pread(const struct gth_oci_blob *b, void *buf, size_t n, int64_t pos);

/* Writing a layout. create makes DIR, "oci-layout" and blobs/sha256 (an existing
 * layout is kept). put writes a blob from memory (digest_out may be NULL);
 * put_file moves a finished file (same file system) into place as DIGEST. tag adds
 * desc to index.json under ref name TAG (replacing an entry of that name; tag NULL
 * adds without a name), written atomically. */
int gth_oci_layout_create(const char *dir, struct gth_error *err);
int gth_oci_layout_put(const char *dir, const void *data, size_t len,
		       char digest_out[GTH_DIGEST_STR_LEN], struct gth_error *err);
int gth_oci_layout_put_file(const char *dir, const char *path, const char *digest,
			    struct gth_error *err);
int gth_oci_layout_tag(const char *dir, const struct gth_oci_desc *desc, const char *tag,
		       struct gth_error *err);

/* Tar layers, read safely. Entries are checked before they are returned: a path
 * that is absolute, has a ".." component, or passes through a symlink given
 * earlier in the same layer is refused (65), and so is a symlink whose relative
 * target climbs above the root, and a hard link whose target is absolute or
 * climbs out. Absolute symlink targets are kept: they are relative to the image
 * root. Paths come back normalised: no leading "./" or "/", no trailing "/".
 * Whiteouts (".wh.NAME", ".wh..wh..opq") are reported, not returned as files.
 * Compression (gzip, zstd, none) is detected from the bytes. */
enum gth_layer_type {
	GTH_LAYER_FILE = 0,
	GTH_LAYER_DIR,
	GTH_LAYER_SYMLINK,
	GTH_LAYER_HARDLINK,
	GTH_LAYER_OTHER,     /* devices, fifos: reported, no data */
	GTH_LAYER_WHITEOUT,  /* path names the entry to delete */
	GTH_LAYER_OPAQUE     /* path names the directory whose lower contents go */
};

struct gth_layer_entry {
	const char *path;    /* valid until the next call */
	const char *link;    /* symlink or hard link target, else NULL */
	enum gth_layer_type type;
	unsigned mode;       /* permission bits */
	long uid, gid;
	int64_t size;
	int64_t mtime;
};

struct gth_layer;

/* Read a layer from a located blob, or from a file (name is for messages). */
int gth_layer_open_blob(struct gth_layer **out, const struct gth_oci_blob *b, const char *name,
			struct gth_error *err);
int gth_layer_open_file(struct gth_layer **out, const char *path, struct gth_error *err);
/* 1 and an entry, 0 at the end, -1 on an unsafe entry or a broken archive (65). */
int gth_layer_next(struct gth_layer *l, struct gth_layer_entry *e, struct gth_error *err);
/* Read the current file's data; bytes read, 0 at its end, -1 on error. */
ssize_t gth_layer_read(struct gth_layer *l, void *buf, size_t n, struct gth_error *err);
void gth_layer_close(struct gth_layer *l);

/* Apply a layer onto the directory root (created if missing), as a container
 * runtime does: whiteouts delete, opaque directories are emptied, files replace
 * what was there. Never follows a symlink while creating an entry, so nothing is
 * written outside root. Ownership is not changed; devices and fifos are skipped. */
int gth_layer_apply(const char *root, struct gth_layer *l, struct gth_error *err);

#endif
