#!/usr/bin/env bash
# DNS benchmark: our authoritative server against NSD, the same zone, the same load, the
# same run. Both serve the anchors' example.test zone on loopback (UDP); dnsperf (Debian
# package) sends DURATION seconds of mixed A and MX queries to each, alternately, RUNS
# times; up to 100 queries in flight from 4 sockets, 1 s timeout (the anchors'
# load/dns_load.sh settings). NSD runs one server process (server-count 1), ours its usual
# event loops. Every completed query must be NOERROR (dnsperf's response codes), or the
# script fails. Prints "dns SIDE qps VALUE", "dns SIDE lost VALUE" (medians) and
# "dns ratio qps VALUE" (ours / NSD's; the target is 0.8 or more).
#
# Usage: bench/dns/run.sh
#   Env: DURATION (10) RUNS (3) PORT (25353, NSD PORT+1) CLIENTS (4),
#   CHAPPE=path/to/chappe (default: a release build of this tree).
#   Scratch data in /tmp/chappe-dns-bench. Needs nsd and dnsperf (installed if missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
duration="${DURATION:-10}"
runs="${RUNS:-3}"
port="${PORT:-25353}"
nport=$((port + 1))
clients="${CLIENTS:-4}"
work=/tmp/chappe-dns-bench

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "FATAL: $*"; exit 1; }

if ! command -v nsd >/dev/null || ! command -v dnsperf >/dev/null || ! command -v dig >/dev/null; then
  log "installing nsd, dnsperf and dnsutils"
  apt-get install -y -q --no-install-recommends nsd dnsperf dnsutils >&2 \
    || { apt-get update -q >&2; apt-get install -y -q --no-install-recommends nsd dnsperf dnsutils >&2; }
fi
if [ -z "${CHAPPE:-}" ]; then
  log "building chappe (release)"
  (cd "$repo" && swift build -c release --product chappe >&2)
  CHAPPE="$(cd "$repo" && swift build -c release --show-bin-path)/chappe"
fi

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}
trap cleanup EXIT

for p in "$port" "$nport"; do
  if ss -Hlun "sport = :$p" | grep -q . || ss -Hltn "sport = :$p" | grep -q .; then
    die "port $p is in use; set PORT"
  fi
done

wait_dns() {  # wait_dns PORT: until 127.0.0.1:PORT answers the SOA (20 s at most)
  for _ in $(seq 1 100); do
    [ -n "$(dig +short +time=1 +tries=1 @127.0.0.1 -p "$1" example.test SOA 2>/dev/null)" ] && return 0
    sleep 0.2
  done
  return 1
}

rm -rf "$work"; mkdir -p "$work/chappe/etc/zones" "$work/nsd/xfr"
# The anchors' zone (shared/anchors/dns-nsd.sh).
cat > "$work/example.test.zone" <<'Z'
$ORIGIN example.test.
$TTL 3600
@     IN SOA ns1.example.test. hostmaster.example.test. 2024010101 3600 900 604800 300
@     IN NS   ns1.example.test.
@     IN MX   10 mx1.example.test.
@     IN MX   20 mx2.example.test.
@     IN A    192.0.2.1
@     IN AAAA 2001:db8::1
ns1   IN A    192.0.2.53
mx1   IN A    192.0.2.25
mx1   IN AAAA 2001:db8::25
mx2   IN A    192.0.2.26
mx2   IN AAAA 2001:db8::26
www   IN A    192.0.2.80
www   IN AAAA 2001:db8::80
Z
cp "$work/example.test.zone" "$work/chappe/etc/zones/"
cp "$work/example.test.zone" "$work/nsd/"
printf 'example.test MX\nwww.example.test A\nexample.test A\nmx1.example.test A\nmx2.example.test A\nexample.test MX\n' \
  > "$work/queries.txt"

# --- Our server: only the DNS service, no rate limit (one client sends everything).
cat > "$work/chappe/etc/chappe.toml" <<CF
data_dir = "../spool"
log_level = "notice"
[dns]
listen = ["127.0.0.1:$port"]
zones = ["zones/example.test.zone"]
udp_rate_limit = 0
CF
"$CHAPPE" serve --config "$work/chappe/etc/chappe.toml" --only dns > "$work/chappe/serve.log" 2>&1 &
pids+=($!)
wait_dns "$port" && kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/chappe/serve.log" >&2; die "chappe not answering on $port"; }
log "chappe pid ${pids[-1]} dns :$port"

# --- NSD: the anchors' configuration (dns-nsd.sh), its own instance.
d="$work/nsd"
cat > "$d/nsd.conf" <<CF
server:
  ip-address: 127.0.0.1@$nport
  port: $nport
  do-ip6: no
  username: ""
  chroot: ""
  database: ""
  zonesdir: "$d"
  zonelistfile: "$d/zone.list"
  xfrdfile: "$d/xfrd.state"
  xfrdir: "$d/xfr"
  pidfile: "$d/nsd.pid"
  logfile: "$d/nsd.log"
  server-count: 1
  verbosity: 1
  hide-version: yes
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: "example.test"
  zonefile: "example.test.zone"
CF
nsd-checkconf "$d/nsd.conf" >&2 || die "nsd-checkconf failed"
nsd -d -c "$d/nsd.conf" > "$d/nsd.stdout" 2>&1 &
pids+=($!)
wait_dns "$nport" && kill -0 "${pids[-1]}" 2>/dev/null || { cat "$d/nsd.log" >&2; die "nsd not answering on $nport"; }
log "nsd pid ${pids[-1]} dns :$nport"

for p in "$port" "$nport"; do
  mx=$(dig +short @127.0.0.1 -p "$p" example.test MX | sort | tr '\n' ' ')
  [ "$mx" = "10 mx1.example.test. 20 mx2.example.test. " ] || die "unexpected MX answer on $p: $mx"
done

# --- The load, alternately.
: > "$work/results"
run() {  # run SIDE PORT: one dnsperf run; its figures appended to results
  local side=$1 p=$2 out qps completed lost noerror
  out=$(timeout $((duration + 30)) dnsperf -s 127.0.0.1 -p "$p" -d "$work/queries.txt" -l "$duration" \
    -c "$clients" -T 1 -q 100 -t 1 -n 100000000 2>&1)
  echo "$out" > "$work/dnsperf-$side-$(date +%s%N).txt"
  qps=$(echo "$out" | awk '/Queries per second:/ {print $4}')
  completed=$(echo "$out" | awk '/Queries completed:/ {print $3}')
  lost=$(echo "$out" | awk '/Queries lost:/ {print $3}')
  noerror=$(echo "$out" | awk '/Response codes:/ {for (i = 1; i <= NF; i++) if ($i == "NOERROR") print $(i + 1)}')
  [ -n "$qps" ] || { echo "$out" >&2; die "dnsperf gave no figures for $side"; }
  [ "${noerror:-0}" = "$completed" ] || { echo "$out" >&2; die "$side: $completed answers, only ${noerror:-0} NOERROR"; }
  log "$side: $qps q/s, $completed answers all NOERROR, $lost lost"
  echo "$side $qps $lost" >> "$work/results"
}
for i in $(seq 1 "$runs"); do
  log "run $i of $runs"
  if [ $((i % 2)) = 1 ]; then run chappe "$port"; run nsd "$nport"; else run nsd "$nport"; run chappe "$port"; fi
done

python3 - "$work/results" <<'PY'
import statistics, sys
qps, lost = {}, {}
for line in open(sys.argv[1]):
    side, q, l = line.split()
    qps.setdefault(side, []).append(float(q))
    lost.setdefault(side, []).append(int(l))
for side in ("chappe", "nsd"):
    print(f"dns {side} qps {statistics.median(qps[side]):.0f}")
    print(f"dns {side} lost {statistics.median(lost[side]):.0f}")
print(f"dns ratio qps {statistics.median(qps['chappe']) / statistics.median(qps['nsd']):.2f}")
PY
