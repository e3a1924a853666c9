#!/usr/bin/env bash
# SMTP receive-and-deliver benchmark: our MX port against Postfix, same load, same run.
# The load is Postfix's smtp-source through the anchors' load/smtp_load.sh: SESSIONS parallel
# sessions, MESSAGES messages of SIZE bytes to one local recipient, first one TCP connection
# per message, then connections reused (smtp-source -d). Both servers queue with fsync and
# deliver into a Maildir (ours: the store; Postfix: virtual(8)). "accepted" is MESSAGES over
# smtp-source's wall time; "delivered" runs from the load's start until the last message is
# in the Maildir. The two servers are measured alternately, run by run. Prints
# "smtp SIDE METRIC VALUE UNIT" (medians of RUNS runs) and "smtp ratio METRIC VALUE"
# (ours / Postfix's; above 1 means faster).
#
# Usage: bench/smtp/run.sh
#   Env: SESSIONS (20) MESSAGES (5000) SIZE (2000) RUNS (3) PORT (22525, Postfix PORT+1),
#   CHAPPE=path/to/chappe (default: a release build of this tree), ANCHORS (../shared/anchors).
#   Scratch data in /tmp/chappe-smtp-bench. Needs postfix (installed if missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
anchors="${ANCHORS:-$(cd "$repo/../shared/anchors" 2>/dev/null && pwd || true)}"
sessions="${SESSIONS:-20}"
messages="${MESSAGES:-5000}"
size="${SIZE:-2000}"
runs="${RUNS:-3}"
port="${PORT:-22525}"
pport=$((port + 1))
work=/tmp/chappe-smtp-bench
rcpt=bench@anchors.test

source "$here/../lib.sh"

[ -n "$anchors" ] && [ -x "$anchors/load/smtp_load.sh" ] || die "anchors not found (set ANCHORS=.../shared/anchors)"
load="$anchors/load/smtp_load.sh"

if ! command -v postfix >/dev/null && [ ! -x /usr/sbin/postfix ]; then
  log "installing postfix"
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postfix >&2 \
    || { apt-get update -q >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postfix >&2; }
fi
export PATH="$PATH:/usr/sbin"
if [ -z "${CHAPPE:-}" ]; then
  log "building chappe (release)"
  (cd "$repo" && swift build -c release --product chappe >&2)
  CHAPPE="$(cd "$repo" && swift build -c release --show-bin-path)/chappe"
fi

postfix_started=""
cleanup() {
  [ -n "$postfix_started" ] && postfix -c "$work/postfix/etc" stop >/dev/null 2>&1 || true
  stop_pids
}
trap cleanup EXIT

rm -rf "$work"; mkdir -p "$work/chappe/etc" "$work/postfix"

# --- Our server: MX port only, anchors.test local, one account.
cat > "$work/chappe/etc/chappe.toml" <<CF
hostname = "mx.anchors.test"
data_dir = "../spool"
[smtp]
listen = ["127.0.0.1:$port"]
submission = []
submissions = []
local_domains = ["anchors.test"]
# smtp-source reconnects as soon as it reads 221, before our side has counted the
# old connection closed; Postfix's anvil limit does not apply to mynetworks at all.
max_connections_per_client = 100
[pop3]
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
echo benchpass | "$CHAPPE" user add "$rcpt" --password-stdin "${config[@]}" >&2
"$CHAPPE" serve "${config[@]}" > "$work/chappe/serve.log" 2>&1 &
pids+=($!)
wait_port "$port" || { cat "$work/chappe/serve.log" >&2; die "chappe not listening on $port"; }
chappe_new="$work/chappe/spool/mail/anchors.test/bench/Maildir/new"
chappe_queue="$work/chappe/spool/queue"
log "chappe pid ${pids[-1]} smtp :$port"

# --- Postfix: its own instance, queue with fsync, virtual(8) into a Maildir.
d="$work/postfix"
vuid=$(id -u nobody); vgid=$(getent group nogroup | cut -d: -f3)
mkdir -p "$d/etc" "$d/queue" "$d/data" "$d/vmail"
chown postfix:postfix "$d/data"; chown "$vuid:$vgid" "$d/vmail"
cat > "$d/etc/main.cf" <<CF
compatibility_level = 3.6
config_directory = $d/etc
queue_directory = $d/queue
data_directory = $d/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx2.anchors.test
mydomain = anchors.test
myorigin = anchors.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
smtputf8_enable = no
maillog_file = $d/maillog
maillog_file_prefixes = /tmp
virtual_mailbox_domains = anchors.test
virtual_mailbox_base = $d/vmail
virtual_mailbox_maps = static:bench/
virtual_uid_maps = static:$vuid
virtual_gid_maps = static:$vgid
virtual_minimum_uid = 1
virtual_destination_concurrency_limit = 20
default_process_limit = 100
CF
cat > "$d/etc/master.cf" <<CF
127.0.0.1:$pport inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
postfix -c "$d/etc" check >&2 || die "postfix check failed"
postfix -c "$d/etc" start >&2 || die "postfix start failed"
postfix_started=yes
wait_port "$pport" || die "postfix not listening on $pport"
postfix_new="$d/vmail/bench/new"
log "postfix smtpd :$pport"

count() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
now() { date +%s.%N; }

# one_run SIDE REUSE: one load, then waits (120 s at most) until every message is delivered.
one_run() {
  local side=$1 reuse=$2 target_port newdir before out t0 secs got deadline t_end
  if [ "$side" = chappe ]; then target_port=$port; newdir=$chappe_new; else target_port=$pport; newdir=$postfix_new; fi
  sync
  before=$(count "$newdir")
  out=$("$load" 127.0.0.1 "$target_port" "$sessions" "$messages" "$size" "$rcpt" 170 "$reuse")
  t0=$(echo "$out" | awk '/^smtp_load start/{print $3}')
  secs=$(echo "$out" | awk '/^smtp_load seconds/{print $3}')
  deadline=$(( $(date +%s) + 120 ))
  while got=$(( $(count "$newdir") - before )); [ "$got" -lt "$messages" ] && [ "$(date +%s)" -lt "$deadline" ]; do
    sleep 0.05
  done
  t_end=$(now)
  [ "$got" -eq "$messages" ] || log "WARNING: $side delivered $got of $messages"
  local accepted delivered
  accepted=$(awk -v m="$messages" -v s="$secs" 'BEGIN{printf "%.1f", m/s}')
  delivered=$(awk -v m="$got" -v a="$t0" -v b="$t_end" 'BEGIN{printf "%.1f", m/(b-a)}')
  log "$side reuse=$reuse: accepted $accepted msg/s, delivered $got at $delivered msg/s"
  echo "$side $reuse $accepted $delivered" >> "$work/results"
}

: > "$work/results"
for run in $(seq 1 "$runs"); do
  for reuse in 0 1; do
    if [ $((run % 2)) = 1 ]; then one_run chappe "$reuse"; one_run postfix "$reuse"
    else one_run postfix "$reuse"; one_run chappe "$reuse"; fi
  done
done

python3 - "$work/results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
def median(side, reuse, column):
    return statistics.median(float(r[column]) for r in rows if r[0] == side and r[1] == reuse)
metrics = [("accepted_rate", "0", 2), ("delivered_rate", "0", 3), ("reuse_accepted_rate", "1", 2), ("reuse_delivered_rate", "1", 3)]
for side in ("chappe", "postfix"):
    for name, reuse, column in metrics:
        print(f"smtp {side} {name} {median(side, reuse, column):.1f} msg/s")
for name, reuse, column in metrics:
    print(f"smtp ratio {name} {median('chappe', reuse, column) / median('postfix', reuse, column):.2f}")
PY
