#!/usr/bin/env bash
# A real Prometheus (Debian's /usr/bin/prometheus) on 127.0.0.1 with a TSDB
# backfilled by `promtool tsdb create-blocks-from openmetrics` from generated series.
#
# usage: prometheus.sh start DIR    generate data, start, print the base URL
#                                    (also in DIR/url; pid in DIR/prometheus.pid)
#        prometheus.sh stop DIR     stop it
#
# The series cover from one hour before now to four hours after (so instant
# queries at "now" find them while a test or the demo runs); one sample every 15s:
#   http_requests_total{job="healthy",code="200"|"500"}  counters, 0.1% errors
#   http_requests_total{job="failing",code="200"|"500"}  counters, 5% errors
#   nginx_ingress_controller_requests{namespace="gatheraa",service=S,status="200"|"500"}
#       counters for the example's analysis template: S = gatheraa-backend-canary
#       (0.2% errors), gatheraa-backend-canary-failing (5%), gatheraa-backend-stable
#   canary_success_ratio{job="healthy"}  gauge 0.999      (exact, for golden values)
#   canary_success_ratio{job="failing"}  gauge 0.95
#   canary_success_ratio{job="nan"}      gauge NaN
#   (job="missing" has no series: an empty result)
#   request_latency_seconds{track="baseline"|"canary-good"|"canary-slow"}
#       gauges: baseline and canary-good around 0.100 s (the same pseudo-random
#       spread), canary-slow around 0.160 s; for judge
#   request_latency_seconds{track="canary-nan"}  NaN
# Environment: PROMETHEUS (default prometheus), PROMTOOL (default promtool).
set -euo pipefail
cmd=${1:?usage: prometheus.sh start|stop DIR}
dir=${2:?usage: prometheus.sh start|stop DIR}
prom=${PROMETHEUS:-prometheus}
promtool=${PROMTOOL:-promtool}

case "$cmd" in
stop)
	if [ -f "$dir/prometheus.pid" ]; then
		kill "$(cat "$dir/prometheus.pid")" 2>/dev/null || true
		rm -f "$dir/prometheus.pid"
	fi
	exit 0
	;;
start) ;;
*) echo "usage: prometheus.sh start|stop DIR" >&2; exit 64 ;;
esac

mkdir -p "$dir"
python3 - "$dir/data.om" <<'EOF'
import sys, time
now = int(time.time())
start, end, step = now - 3600, now + 4 * 3600, 15
out = ["# TYPE http_requests counter"]
for job, err in (("healthy", 0.001), ("failing", 0.05)):
    tot = bad = 0.0
    for t in range(start, end, step):
        tot += 1000
        bad += 1000 * err
        out.append('http_requests_total{job="%s",code="200"} %d %d' % (job, round(tot - bad), t))
        out.append('http_requests_total{job="%s",code="500"} %d %d' % (job, round(bad), t))
out.append("# TYPE nginx_ingress_controller_requests unknown")
for svc, err in (("gatheraa-backend-canary", 0.002), ("gatheraa-backend-canary-failing", 0.05),
                 ("gatheraa-backend-stable", 0.001)):
    tot = bad = 0.0
    for t in range(start, end, step):
        tot += 600
        bad += 600 * err
        for status, v in (("200", tot - bad), ("500", bad)):
            out.append('nginx_ingress_controller_requests{namespace="gatheraa",service="%s",status="%s"} %d %d'
                       % (svc, status, round(v), t))
out.append("# TYPE canary_success_ratio gauge")
for job, v in (("healthy", "0.999"), ("failing", "0.95"), ("nan", "NaN")):
    for t in range(start, end, step):
        out.append('canary_success_ratio{job="%s"} %s %d' % (job, v, t))
out.append("# TYPE request_latency_seconds gauge")
seed = 12345
def rnd():
    global seed
    seed = (seed * 1103515245 + 12345) % (1 << 31)
    return seed / float(1 << 31)
for track, base in (("baseline", 0.100), ("canary-good", 0.100), ("canary-slow", 0.160)):
    for t in range(start, end, step):
        out.append('request_latency_seconds{track="%s"} %.6f %d' % (track, base + 0.02 * (rnd() - 0.5), t))
for t in range(start, end, step):
    out.append('request_latency_seconds{track="canary-nan"} NaN %d' % t)
out.append("# EOF")
open(sys.argv[1], "w").write("\n".join(out) + "\n")
EOF
rm -rf "$dir/tsdb"
"$promtool" tsdb create-blocks-from openmetrics "$dir/data.om" "$dir/tsdb" >"$dir/promtool.log" 2>&1 ||
	{ cat "$dir/promtool.log" >&2; exit 1; }
printf 'global:\n  scrape_interval: 1h\n' >"$dir/prometheus.yml"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$prom" --config.file="$dir/prometheus.yml" --storage.tsdb.path="$dir/tsdb" \
	--storage.tsdb.retention.time=30d --web.listen-address="127.0.0.1:$port" \
	--log.level=warn >"$dir/prometheus.log" 2>&1 &
echo $! >"$dir/prometheus.pid"
for _ in $(seq 100); do
	if curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then
		echo "http://127.0.0.1:$port" | tee "$dir/url"
		exit 0
	fi
	sleep 0.1
done
echo "prometheus did not become ready:" >&2
cat "$dir/prometheus.log" >&2
kill "$(cat "$dir/prometheus.pid")" 2>/dev/null || true
exit 1
