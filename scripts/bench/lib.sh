# Shared by the benchmarks (sourced; $work is the scratch folder).

# wall_ms N CMD...: the mean wall time of N runs of CMD in milliseconds, from
# clock_gettime (date +%s%N), not time(1)'s 10 ms steps. CMD runs directly, with no
# time(1) or env(1) in front whose own start-up would be counted. A failed run
# prints its stderr and exits.
wall_ms() {
	local n=$1 t0 t1 i
	shift
	t0=$(date +%s%N)
	for i in $(seq 1 "$n"); do
		"$@" >/dev/null 2>"$work/wall.err" || { cat "$work/wall.err" >&2; exit 1; }
	done
	t1=$(date +%s%N)
	echo "scale=3; ($t1 - $t0) / $n / 1000000" | bc -l
}
