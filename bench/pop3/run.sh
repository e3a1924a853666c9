#!/usr/bin/env bash
# POP3 retrieval benchmark: our server against Dovecot's POP3 server, same mailbox, same
# client, same run. Both serve a Maildir of NMSG messages of ~MSG_SIZE bytes made by the
# anchors' make_maildir.py (byte-identical on both sides); the load is the anchors'
# pop3_load.py: USER/PASS, STAT, UIDL, RETR 1..N (no DELE), QUIT, in lock-step and with
# PIPELINE commands in flight. The first run on each side is reported apart as "cold".
# The two servers are measured alternately, run by run, so that load from other programs
# on the machine falls on both. Prints "pop3 SIDE METRIC VALUE UNIT" lines (medians of
# RUNS runs) and "pop3 ratio METRIC VALUE" (ours / Dovecot's; above 1 means faster).
#
# Usage: bench/pop3/run.sh
#   Env: NMSG (10000) MSG_SIZE (4096) RUNS (3) PIPELINE (16) PORT (22110, Dovecot PORT+1),
#   CHAPPE=path/to/chappe (default: a release build of this tree), ANCHORS (../shared/anchors).
#   Scratch data in /tmp/chappe-pop3-bench. Needs dovecot-pop3d (installed if missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
anchors="${ANCHORS:-$(cd "$repo/../shared/anchors" 2>/dev/null && pwd || true)}"
nmsg="${NMSG:-10000}"
size="${MSG_SIZE:-4096}"
runs="${RUNS:-3}"
pipeline="${PIPELINE:-16}"
port="${PORT:-22110}"
dport=$((port + 1))
work=/tmp/chappe-pop3-bench
user=bench@anchors.test
pass=benchpass

source "$here/../lib.sh"

[ -n "$anchors" ] && [ -f "$anchors/load/pop3_load.py" ] || die "anchors not found (set ANCHORS=.../shared/anchors)"
load="$anchors/load/pop3_load.py"
make_maildir="$anchors/load/make_maildir.py"

if [ ! -x /usr/lib/dovecot/pop3 ]; then
  log "installing dovecot-pop3d"
  apt-get install -y -q --no-install-recommends dovecot-core dovecot-pop3d >&2 \
    || { apt-get update -q >&2; apt-get install -y -q --no-install-recommends dovecot-core dovecot-pop3d >&2; }
fi
if [ -z "${CHAPPE:-}" ]; then
  log "building chappe (release)"
  (cd "$repo" && swift build -c release --product chappe >&2)
  CHAPPE="$(cd "$repo" && swift build -c release --show-bin-path)/chappe"
fi

trap stop_pids EXIT

rm -rf "$work"; mkdir -p "$work/chappe/etc" "$work/dovecot"

# --- Our server: the Maildir made by make_maildir.py, indexed by `chappe store check`.
cat > "$work/chappe/etc/chappe.toml" <<CF
hostname = "bench.anchors.test"
data_dir = "../spool"
[pop3]
listen = ["127.0.0.1:$port"]
tls_listen = []
allow_plaintext_loopback = true
[smtp]
enabled = false
[imap]
enabled = false
[nntp]
enabled = false
[ftp]
enabled = false
[http]
enabled = false
[dns]
enabled = false
CF
config=(--config "$work/chappe/etc/chappe.toml")
echo "$pass" | "$CHAPPE" user add "$user" --password-stdin "${config[@]}" >&2
maildir="$work/chappe/spool/mail/anchors.test/bench/Maildir"
log "filling our Maildir with $nmsg messages of ~$size bytes"
python3 "$make_maildir" "$maildir" "$nmsg" "$size" >&2
start=$(date +%s.%N)
"$CHAPPE" store check "$user" "${config[@]}" >&2
log "chappe store check indexed them in $(python3 -c "import sys,time; print('%.1f s' % (time.time()-float(sys.argv[1])))" "$start")"
"$CHAPPE" serve "${config[@]}" > "$work/chappe/serve.log" 2>&1 &
pids+=($!)
wait_port "$port" || { cat "$work/chappe/serve.log" >&2; die "chappe not listening on $port"; }
log "chappe pid ${pids[-1]} pop3 :$port"

# --- Dovecot: the configuration of the anchors (dovecot-common.sh), its own instance.
d="$work/dovecot"
vuid=$(id -u nobody); vgid=$(getent group nogroup | cut -d: -f3)
[ "$(id -u)" = 0 ] || { vuid=$(id -u); vgid=$(id -g); }
mkdir -p "$d/run" "$d/state" "$d/home/bench"
echo "bench:{PLAIN}$pass::::::" > "$d/passwd"
extra=""
if [ "$(id -u)" != 0 ]; then
  extra="default_internal_user = $(id -un)
default_login_user = $(id -un)
default_internal_group = $(id -gn)
service pop3-login {
  chroot =
}"
fi
cat > "$d/dovecot.conf" <<CF
base_dir = $d/run
state_dir = $d/state
instance_name = chappe-pop3-bench
protocols = pop3
listen = 127.0.0.1
log_path = $d/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~/Maildir
first_valid_uid = 1
first_valid_gid = 1
protocol pop3 {
  pop3_uidl_format = %08Xu%08Xv
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $d/passwd
}
userdb {
  driver = static
  args = uid=$vuid gid=$vgid home=$d/home/%u
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = $dport
  }
  inet_listener pop3s {
    port = 0
  }
}
$extra
CF
log "filling Dovecot's Maildir with the same messages"
python3 "$make_maildir" "$d/home/bench/Maildir" "$nmsg" "$size" --uid "$vuid" --gid "$vgid" >&2
sync
dovecot -c "$d/dovecot.conf" -F > "$d/dovecot.stdout" 2>&1 &
pids+=($!)
wait_port "$dport" || { cat "$d/dovecot.log" "$d/dovecot.stdout" >&2; die "dovecot not listening on $dport"; }
log "dovecot pid ${pids[-1]} pop3 :$dport"

# --- The load, alternately.
ours=(python3 "$load" 127.0.0.1 "$port" "$user" "$pass" --timeout 300)
theirs=(python3 "$load" 127.0.0.1 "$dport" bench "$pass" --timeout 300)
: > "$work/results"
run() {  # run SIDE LABEL ARGS...: one pop3_load.py run, its per-run lines kept
  local side=$1 label=$2; shift 2
  local cmd
  if [ "$side" = chappe ]; then cmd=("${ours[@]}"); else cmd=("${theirs[@]}"); fi
  "${cmd[@]}" --runs 1 --label "$label" "$@" | grep " run1 " | sed "s/^/$side /" | tee -a "$work/results" >&2
}
log "cold runs (first session on a fresh mailbox)"
run chappe cold
run dovecot cold
for i in $(seq 1 "$runs"); do
  log "warm run $i of $runs"
  run dovecot warm
  run chappe warm
  run chappe pipe --pipeline "$pipeline"
  run dovecot pipe --pipeline "$pipeline"
done

python3 - "$work/results" <<'PY'
import statistics, sys
values = {}
for line in open(sys.argv[1]):
    side, label, _, metric, value, unit = line.split()
    values.setdefault((side, label, metric, unit), []).append(float(value))
def med(side, label, metric):
    for (s, l, m, u), v in values.items():
        if (s, l, m) == (side, label, metric):
            return statistics.median(v), u
    return float("nan"), ""
rows = [("cold", "uidl_ms"), ("cold", "retr_rate"), ("warm", "uidl_ms"), ("warm", "retr_rate"),
        ("warm", "retr_mbps"), ("pipe", "retr_rate"), ("pipe", "retr_mbps")]
for side in ("chappe", "dovecot"):
    for label, metric in rows:
        value, unit = med(side, label, metric)
        print(f"pop3 {side} {label}_{metric} {value:.1f} {unit}")
for label, metric in rows:
    ours, _ = med("chappe", label, metric)
    theirs, _ = med("dovecot", label, metric)
    # Times: lower is better, so the ratio is theirs / ours; rates: ours / theirs.
    ratio = theirs / ours if metric.endswith("_ms") else ours / theirs
    print(f"pop3 ratio {label}_{metric} {ratio:.2f}")
PY
