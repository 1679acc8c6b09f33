#!/usr/bin/env bash
# The floor under gth-build's re-push: how long any program takes that sends the
# re-push's one request (HEAD of the manifest) through Debian's libcurl, against
# gth-build's re-push and skopeo's, all in the same minute against one local
# docker-registry. Prints the mean wall time of each and its ratio to skopeo's:
#   empty         a C program whose main() returns at once
#   curl-loaded   the same, linked with libcurl (the dynamic loader's work only)
#   curl-head     a minimal libcurl program: one HEAD of the manifest
#   gth-build     gth-build push of an image already in the registry
#   skopeo        skopeo copy of the same
#   scripts/bench/gth-build-floor.sh [BUILD_DIR]   (default build/release)
#   GTH_BENCH_RUNS   runs of each (default 30)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
build=${1:-build/release}
runs=${GTH_BENCH_RUNS:-30}
if [ ! -x "$build/bin/gth-build" ]; then
	cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DGTH_TESTS=OFF >/dev/null
	cmake --build "$build" -j2 --target gth-build >/dev/null
fi
case $build in /*) bin=$build/bin ;; *) bin=$root/$build/bin ;; esac
. tests/servers/registry.sh
work=$(mktemp -d "${TMPDIR:-/tmp}/gth-bench.XXXXXX")
trap 'registry_stop "$work/reg"; rm -rf "$work"' EXIT
registry_start "$work/reg" open
H=$REGISTRY_HOST

# Six layers like gth-build-push.sh's image: a re-push's time depends on how many
# blobs there are, not on their size, so each is 1 MB here.
mkdir -p "$work/home"
layers=()
for i in 0 1 2 3 4 5; do
	mkdir -p "$work/src/l$i"
	head -c $((1024 * 1024)) /dev/urandom >"$work/src/l$i/data.bin"
	layers+=(--layer "$work/src/l$i:/data/l$i")
done
"$bin/gth-build" assemble --base scratch "${layers[@]}" -o "oci:$work/image:v1" -q
"$bin/gth-build" push "oci:$work/image:v1" "$H/bench/app:v1" --insecure "$H" -q
HOME=$work/home skopeo copy -q --dest-tls-verify=false "oci:$work/image:v1" "docker://$H/bench/app:v1"

cat >"$work/empty.c" <<'C'
int main(void) { return 0; }
C
cat >"$work/head.c" <<'C'
#include <curl/curl.h>
/* argv[1]: a URL; with argv[2], HEAD it with the OCI manifest Accept header. */
int main(int argc, char **argv)
{
	struct curl_slist *h;
	long status = 0;
	CURL *c;
	int ok;

	if (argc < 3)
		return 0;
	curl_global_init(CURL_GLOBAL_ALL);
	c = curl_easy_init();
	h = curl_slist_append(NULL, "Accept: application/vnd.oci.image.manifest.v1+json");
	curl_easy_setopt(c, CURLOPT_URL, argv[1]);
	curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	ok = curl_easy_perform(c) == CURLE_OK &&
	     curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) == CURLE_OK && status == 200;
	curl_easy_cleanup(c);
	curl_slist_free_all(h);
	curl_global_cleanup();
	return ok ? 0 : 1;
}
C
cc -O2 "$work/empty.c" -o "$work/empty"
cc -O2 "$work/head.c" -o "$work/head" $(pkg-config --cflags --libs libcurl)
url="http://$H/v2/bench/app/manifests/v1"
"$work/head" "$url" head || { echo "bench: the HEAD of $url failed" >&2; exit 1; }

. scripts/bench/lib.sh
e=$(wall_ms "$runs" "$work/empty")
l=$(wall_ms "$runs" "$work/head" "$url")
c=$(wall_ms "$runs" "$work/head" "$url" head)
g=$(wall_ms "$runs" "$bin/gth-build" push "oci:$work/image:v1" "$H/bench/app:v1" --insecure "$H" -q)
s=$(HOME=$work/home wall_ms "$runs" skopeo copy -q --dest-tls-verify=false "oci:$work/image:v1" "docker://$H/bench/app:v1")
printf '%-12s %9s %9s\n' "" "ms" "/skopeo"
for row in "empty $e" "curl-loaded $l" "curl-head $c" "gth-build $g" "skopeo $s"; do
	set -- $row
	printf '%-12s %9.2f %9.2f\n' "$1" "$2" "$(echo "$2 / $s" | bc -l)"
done
echo "goal: gth-build's re-push at most 0.20 of skopeo's"
