#!/usr/bin/env bash
# Packaging: a Release build without sanitizers in a scratch folder; `cmake --install`
# puts the tools, man pages and completions where they belong; `cpack -G DEB` makes a
# .deb named gth whose Depends are real installed packages, whose files are the
# install's, and whose tools run from a scratch root unpacked with dpkg -x.
. "$(dirname "$0")/lib.sh.inc"

B=$T/release
STAGE=$T/stage
ROOT=$T/root
VERSION=$(sed -nE 's/^project\(gth VERSION ([0-9.]+).*/\1/p' "$GTH_SRC/CMakeLists.txt")
ARCH=$(dpkg --print-architecture)
DEB=$B/gth_${VERSION}_${ARCH}.deb

# The tools the sources define (cmd/gth-*/main.c) and the man pages they ship.
src_tools() {
	local d
	for d in "$GTH_SRC"/cmd/gth-*/; do [ -f "$d/main.c" ] && basename "$d"; done
}

# One build for every case: configure, build, stage an install, make the package.
{
	cmake -S "$GTH_SRC" -B "$B" -DCMAKE_BUILD_TYPE=Release -DGTH_TESTS=OFF -DGTH_SANITIZE=OFF \
		-DCMAKE_INSTALL_PREFIX=/usr &&
		cmake --build "$B" -j 2 &&
		DESTDIR=$STAGE cmake --install "$B" &&
		(cd "$B" && cpack -G DEB)
} >"$T/build.log" 2>&1
build_rc=$?

case_build() {
	[ "$build_rc" -eq 0 ] || { tail -40 "$T/build.log"; _fail "the release build or cpack failed"; }
	[ -n "$VERSION" ] || _fail "no version in CMakeLists.txt"
	check test -f "$DEB"
}

case_install_layout() {
	local tool page n=0
	for tool in $(src_tools); do
		check test -x "$STAGE/usr/bin/$tool"
		check test -f "$STAGE/usr/share/bash-completion/completions/$tool"
		cmp -s "$STAGE/usr/share/bash-completion/completions/$tool" "$GTH_SRC/contrib/completions/gth.bash" ||
			_fail "the bash completion of $tool is not contrib/completions/gth.bash"
		n=$((n + 1))
	done
	[ "$n" -ge 1 ] || _fail "no tools in cmd/"
	for page in "$GTH_SRC"/man/*.[157]; do
		check test -f "$STAGE/usr/share/man/man${page##*.}/$(basename "$page")"
	done
	check test -f "$STAGE/usr/share/man/man7/gth.7"
	check cmp -s "$STAGE/usr/share/zsh/vendor-completions/_gth" "$GTH_SRC/contrib/completions/_gth"
	# nothing else: no static library, headers or test programs
	run find "$STAGE" -type f
	sed -i "s|^$STAGE||" "$OUT"
	expect_out_lacks "/lib"
	expect_out_lacks "/include"
	expect_out_lacks "test_"
}

case_install_prefix() {
	# a /usr/local install puts the zsh completion in zsh's own default fpath folder
	run cmake -S "$GTH_SRC" -B "$B" -DCMAKE_INSTALL_PREFIX=/usr/local \
		-DGTH_ZSH_COMPLETION_DIR=share/zsh/site-functions
	expect_rc 0
	run env DESTDIR="$T/local" cmake --install "$B"
	expect_rc 0
	check test -f "$T/local/usr/local/share/zsh/site-functions/_gth"
	check test -f "$T/local/usr/local/share/bash-completion/completions/gth-scan"
	check test -f "$T/local/usr/local/share/man/man7/gth.7"
}

case_deb_control() {
	run dpkg-deb -f "$DEB" Package Version Architecture Maintainer Depends
	expect_rc 0
	expect_out_contains "Package: gth"
	expect_out_contains "Version: $VERSION"
	expect_out_contains "Architecture: $ARCH"
	expect_out_match "^Maintainer: .+"
	expect_out_match "^Depends: .*libc6 \\(>= "
	# every Depends names a package of this machine's Debian that is installed here
	# (the build linked against it)
	local dep pkg ok alt
	for dep in $(sed -n 's/^Depends: //p' "$OUT" | tr -d ' ' | sed 's/([^)]*)//g' | tr ',' ' '); do
		ok=0
		for alt in ${dep//|/ }; do
			pkg=${alt%%:*}
			dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' && ok=1
		done
		[ "$ok" -eq 1 ] || _fail "Depends names $dep, which is not installed"
	done
}

case_deb_files() {
	# the package holds exactly what `cmake --install` staged
	run dpkg-deb -c "$DEB"
	expect_rc 0
	awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' "$OUT" | sort >deb.list
	(cd "$STAGE" && find . -type f | sed 's/^\.//' | sort) >stage.list
	expect_file_eq deb.list stage.list
}

case_deb_runs() {
	local tool n=0
	run dpkg -x "$DEB" "$ROOT"
	expect_rc 0
	for tool in $(src_tools); do
		run "$ROOT/usr/bin/$tool" --version
		expect_rc 0
		expect_out_eq "$tool $VERSION"
		n=$((n + 1))
	done
	[ "$n" -ge 1 ] || _fail "no tools ran"
	if [ -f "$GTH_SRC/cmd/gth-test/main.c" ]; then
		run "$ROOT/usr/bin/gth-test" --version
		expect_rc 0
		expect_out_eq "gth-test $VERSION"
	fi
	# a release build: stripped, no sanitizer runtime
	run readelf -S "$ROOT/usr/bin/gth-scan"
	expect_rc 0
	expect_out_lacks ".symtab"
	run ldd "$ROOT/usr/bin/gth-scan"
	expect_out_lacks asan
	expect_out_lacks ubsan
	# its man page and completion come with it
	run mandoc -T markdown "$ROOT/usr/share/man/man7/gth.7"
	expect_rc 0
	expect_out_contains "# EXIT STATUS"
	run bash -c '. "$1/usr/share/bash-completion/completions/gth-scan"; PATH=$1/usr/bin:$PATH
		COMP_WORDS=(gth-scan ""); COMP_CWORD=1; _gth; printf "%s\n" "${COMPREPLY[@]}"' bash "$ROOT"
	expect_rc 0
	expect_out_eq "$(printf '%s\n' fs image report db)"
}

t "a release build and cpack -G DEB succeed" case_build
t "cmake --install: tools, man pages, bash and zsh completions, nothing else" case_install_layout
t "cmake --install under /usr/local uses zsh's site-functions" case_install_prefix
t "the .deb is gth, its version, and depends on installed packages" case_deb_control
t "the .deb holds exactly the installed files" case_deb_files
t "unpacked with dpkg -x, the tools run; the completion works with them" case_deb_runs
finish
