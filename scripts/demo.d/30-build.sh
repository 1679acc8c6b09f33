#!/usr/bin/env bash
# Stage build: gth-build assembles the example service's image with no daemon into
# a local OCI layout, twice, to show the digest does not change; then starts a
# local docker-registry, pushes the image under the tags this commit gets, and
# checks it with skopeo. Leaves build.event.json for the later stages and the
# registry running for them (stopped by scripts/demo at the end).
#
# No internet here, so no node base image can be fetched: the image is assembled
# onto scratch with the app's files (src/ and package.json; the service needs no
# node_modules). It holds no node runtime, so it is for pushing, scanning and
# deploying in the demo, not for running. With a reachable registry, --base
# node:20-alpine would put the app on the real runtime instead.
set -euo pipefail
root=${GTH_DEMO_ROOT:?run through scripts/demo}
work=${GTH_DEMO_WORK:?run through scripts/demo}
dir=$work/build
rm -rf "$dir"
mkdir -p "$dir"
app=$root/examples/gatheraa
. "$root/tests/servers/registry.sh"

# reproducible: every date in the image is the commit's time
SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)
export SOURCE_DATE_EPOCH

assemble() { # LAYOUT
	gth-build assemble --base scratch \
		--layer "$app/package.json:/app/package.json" \
		--layer "$app/src:/app/src" \
		--workdir /app --user 10001:10001 \
		--env NODE_ENV=production --env PORT=8080 --expose 8080 \
		--cmd '["node","src/server.js"]' \
		--label org.opencontainers.image.title=gatheraa-backend \
		-o "oci:$1:demo" --json
}
assemble "$dir/image" >"$dir/assemble.event.json"
assemble "$dir/again" >"$dir/assemble-again.event.json"
d1=$(jq -r .data.image.digest "$dir/assemble.event.json")
d2=$(jq -r .data.image.digest "$dir/assemble-again.event.json")
echo "assembled $d1 into $dir/image"
if [ "$d1" != "$d2" ]; then
	echo "not reproducible: $d1 then $d2" >&2
	exit 1
fi
echo "assembled again: the same digest"
skopeo inspect --config "oci:$dir/image:demo" | jq -c '{os, architecture, config: .config | {Cmd, WorkingDir, User, ExposedPorts}}'

# a local registry, left running for the later stages
registry_start "$dir/registry" open >/dev/null
cp "$dir/registry/registry.pid" "$work/build-registry.pid"
echo "$REGISTRY_HOST" >"$dir/registry.host"
name=$REGISTRY_HOST/acme/gatheraa-backend
mapfile -t tags < <(cd "$root" && gth-build tags --tag-policy sha,branch,semver,latest)
[ "${#tags[@]}" -gt 0 ] || tags=(demo)
dests=()
for tg in "${tags[@]}"; do dests+=("$name:$tg"); done
echo "pushing to ${dests[*]}"
(cd "$root" && gth-build push "oci:$dir/image:demo" "${dests[@]}" --insecure "$REGISTRY_HOST" \
	--digest-file "$dir/digest.txt" --json) >"$dir/build.event.json"
echo "pushed $(cat "$dir/digest.txt")"
jq -r '.data.image.layers[] | "  \(.action)\t\(.size)\t\(.digest)"' "$dir/build.event.json"
remote=$(skopeo inspect --tls-verify=false "docker://${dests[0]}" | jq -r .Digest)
if [ "$remote" != "$d1" ]; then
	echo "skopeo sees $remote, expected $d1" >&2
	exit 1
fi
echo "skopeo inspect agrees: $remote"
# a re-push sends nothing
(cd "$root" && gth-build push "oci:$dir/image:demo" "${dests[0]}" --insecure "$REGISTRY_HOST" --json) \
	>"$dir/repush.event.json"
echo "re-push: $(jq -r '[.data.image.layers[].action] | join(",")' "$dir/repush.event.json"), $(jq -r .data.image.bytes_uploaded "$dir/repush.event.json") bytes"

printf 'build\tgth-build\t%s\n' "$(jq -r '.summary + " (exit " + (.exit | tostring) + ", reproducible)"' "$dir/build.event.json")" \
	>>"${GTH_DEMO_SUMMARY:-/dev/null}"
