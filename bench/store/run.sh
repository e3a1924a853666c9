#!/usr/bin/env bash
# Mail store delivery benchmark: `chappe deliver` against Dovecot's `dovecot-lda`, same
# messages, same machine, same run. Both write each message to tmp/, fsync it and rename
# it into new/ (Dovecot: mail_fsync = optimized, its default), then update their index
# (ours: index.sqlite; Dovecot's: dovecot-uidlist and dovecot.index*). One process per
# message, as an MTA's pipe runs them: sequentially, then PARALLEL at once.
# Prints "store METRIC VALUE UNIT" lines and the ratios (ours / Dovecot's rate).
#
# Then, for reference, the same messages delivered in one process by `store-bench` (what the
# SMTP server does: one shared store, deliveries in parallel), against the same Dovecot figure.
#
# Usage: bench/store/run.sh [COUNT] [PARALLEL]
#   COUNT messages of SIZE bytes (env, default 4096) per run, RUNS runs (env, default 3;
#   medians reported). CHAPPE=path/to/chappe and STORE_BENCH=path/to/store-bench to use
#   given binaries; otherwise release builds of this tree and of bench/store (built with
#   --static-swift-stdlib, as a deployment would: it halves process start-up).
#   Scratch data in /tmp/chappe-store-bench.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
count="${1:-300}"
parallel="${2:-4}"
size="${SIZE:-4096}"
runs="${RUNS:-3}"
work=/tmp/chappe-store-bench
lda=/usr/lib/dovecot/dovecot-lda

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

if [ ! -x "$lda" ]; then
  log "installing dovecot-core (dovecot-lda)"
  apt-get install -y -q --no-install-recommends dovecot-core >&2 || { apt-get update -q >&2; apt-get install -y -q --no-install-recommends dovecot-core >&2; }
fi
if [ -z "${CHAPPE:-}" ]; then
  log "building chappe (release, static Swift runtime)"
  (cd "$repo" && swift build -c release --static-swift-stdlib --product chappe >&2)
  CHAPPE="$(cd "$repo" && swift build -c release --static-swift-stdlib --show-bin-path)/chappe"
fi
if [ -z "${STORE_BENCH:-}" ]; then
  log "building store-bench (release)"
  (cd "$here" && swift build -c release --product store-bench >&2)
  STORE_BENCH="$(cd "$here" && swift build -c release --show-bin-path)/store-bench"
fi

rm -rf "$work"; mkdir -p "$work/msgs"
log "making $count messages of $size bytes"
python3 - "$work/msgs" "$count" "$size" <<'PY'
import random, sys
out, count, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = random.Random(42)
words = "alpha beta gamma delta epsilon zeta theta lambda mail store index fsync rename maildir".split()
for i in range(count):
    head = (f"From: Bench Sender <sender@bench.test>\r\nTo: bench@bench.test\r\nSubject: bench message {i}\r\n"
            f"Date: Tue, 1 Jul 2025 10:00:00 +0000\r\nMessage-ID: <bench-{i}@bench.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=us-ascii\r\n\r\n")
    body, line = [], []
    length = len(head)
    while length < size:
        word = rng.choice(words)
        line.append(word)
        if len(" ".join(line)) > 70:
            text = " ".join(line) + "\r\n"
            body.append(text); length += len(text); line = []
    with open(f"{out}/{i}.eml", "w", newline="") as f:
        f.write(head + "".join(body))
PY

# Dovecot: a private configuration; dovecot-lda without -d delivers to $USER/$HOME, which
# it refuses as root, so it runs as nobody there.
as_user=()
if [ "$(id -u)" = 0 ]; then as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups); fi
setup_dovecot() {
  rm -rf "$work/dovecot"; mkdir -p "$work/dovecot/home/bench" "$work/dovecot/run" "$work/dovecot/state"
  cat > "$work/dovecot/dovecot.conf" <<CF
base_dir = $work/dovecot/run
state_dir = $work/dovecot/state
instance_name = chappe-store-bench
protocols =
ssl = no
log_path = $work/dovecot/lda.log
mail_location = maildir:~/Maildir
first_valid_uid = 0
passdb {
  driver = static
  args = nopassword=y
}
userdb {
  driver = static
  args = home=$work/dovecot/home/%u
}
CF
  if [ "$(id -u)" = 0 ]; then chown -R nobody:nogroup "$work/dovecot"; chmod 755 "$work"; fi
}
dovecot_one() {
  "${as_user[@]}" env HOME="$work/dovecot/home/bench" USER=bench "$lda" -c "$work/dovecot/dovecot.conf" \
    -f sender@bench.test < "$work/msgs/$1.eml"
}

# Chappe: a sandbox configuration with every service off and one account.
setup_chappe() {
  rm -rf "$work/chappe"; mkdir -p "$work/chappe/etc"
  printf 'data_dir = "../spool"\nhostname = "bench.test"\n' > "$work/chappe/etc/chappe.toml"
  for s in smtp pop3 imap nntp ftp http dns; do printf '[%s]\nenabled = false\n' "$s" >> "$work/chappe/etc/chappe.toml"; done
  echo benchpass | "$CHAPPE" user add bench@bench.test --config "$work/chappe/etc/chappe.toml" --password-stdin >/dev/null
}
chappe_one() {
  "$CHAPPE" deliver bench@bench.test --config "$work/chappe/etc/chappe.toml" --delivery-id "bench-$1" < "$work/msgs/$1.eml"
}
export -f dovecot_one chappe_one
export work lda CHAPPE
export AS_USER="${as_user[*]}"

now() { date +%s.%N; }
rate() { python3 -c "import sys; print('%.1f' % (float(sys.argv[1]) / float(sys.argv[2])))" "$1" "$2"; }
median() { python3 -c "import sys, statistics; print('%.1f' % statistics.median(float(x) for x in sys.argv[1:]))" "$@"; }

# run_one NAME MODE: deliver every message, return the rate (messages/second).
run_one() {
  local name=$1 mode=$2 start end
  "setup_$name"
  sync
  start=$(now)
  if [ "$mode" = seq ]; then
    for i in $(seq 0 $((count - 1))); do "${name}_one" "$i"; done
  else
    seq 0 $((count - 1)) | xargs -P "$parallel" -I{} bash -c "as_user=(\$AS_USER); ${name}_one {}"
  fi
  end=$(now)
  local stored
  if [ "$name" = dovecot ]; then
    stored=$(find "$work/dovecot/home/bench/Maildir/new" "$work/dovecot/home/bench/Maildir/cur" -type f | wc -l)
  else
    stored=$(find "$work/chappe/spool/mail/bench.test/bench/Maildir/new" -type f | wc -l)
  fi
  [ "$stored" = "$count" ] || { log "$name $mode: $stored of $count messages stored"; exit 1; }
  rate "$count" "$(python3 -c "print($end - $start)")"
}

log "machine: $(nproc) cores, $(uname -sr), $($lda --version 2>/dev/null | head -1 || echo dovecot), fs $(df -T /tmp | awk 'NR==2 {print $2}')"
declare -A results
for mode in seq par; do
  for name in dovecot chappe; do
    values=()
    for r in $(seq 1 "$runs"); do
      v=$(run_one "$name" "$mode")
      log "$name $mode run $r: $v msg/s"
      values+=("$v")
    done
    results[$name-$mode]=$(median "${values[@]}")
  done
done

for c in 1 "$parallel" 16; do
  values=()
  for r in $(seq 1 "$runs"); do
    rm -rf "$work/inprocess"; sync
    v=$("$STORE_BENCH" "$work/inprocess" "$work/msgs" "$count" "$c" | awk '{print $3}')
    log "in-process c=$c run $r: $v msg/s"
    values+=("$v")
  done
  results[inprocess-$c]=$(median "${values[@]}")
done
index_bytes=$(python3 -c "
import os, sqlite3, sys
db = sqlite3.connect(sys.argv[1]); db.execute('PRAGMA wal_checkpoint(TRUNCATE)'); db.close()
print(os.path.getsize(sys.argv[1]))" "$work/inprocess/mail/bench.test/bench/index.sqlite")

echo "store deliver_sequential_dovecot_lda ${results[dovecot-seq]} msg/s"
echo "store deliver_sequential_chappe ${results[chappe-seq]} msg/s"
echo "store deliver_parallel${parallel}_dovecot_lda ${results[dovecot-par]} msg/s"
echo "store deliver_parallel${parallel}_chappe ${results[chappe-par]} msg/s"
echo "store ratio_sequential $(python3 -c "print('%.2f' % (${results[chappe-seq]} / ${results[dovecot-seq]}))") x"
echo "store ratio_parallel${parallel} $(python3 -c "print('%.2f' % (${results[chappe-par]} / ${results[dovecot-par]}))") x"
for c in 1 "$parallel" 16; do
  echo "store deliver_inprocess_c$c ${results[inprocess-$c]} msg/s"
done
echo "store ratio_inprocess_c${parallel}_vs_dovecot_parallel${parallel} $(python3 -c "print('%.2f' % (${results[inprocess-$parallel]} / ${results[dovecot-par]}))") x"
echo "store index_bytes_per_message $(( index_bytes / count )) bytes"
