#!/usr/bin/env bash
# MIME benchmark: builds the MIME module and `chappe mime` in release mode (plain -O, no
# -Ounchecked), makes the test data, and compares base64 with coreutils, quoted-printable
# with Python's binascii and parsing with Python's email, in one run. Prints the ratios.
#
# Usage: bench/mime/run.sh [REPEAT]     (data goes to ${MIME_BENCH_DIR:-/tmp/chappe-mime-bench})
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="${MIME_BENCH_DIR:-/tmp/chappe-mime-bench}"
repeat="${1:-3}"
mkdir -p "$work"

echo "== building (release)"
(cd "$here" && swift build -c release --product chappe-mime >/dev/null && swift build -c release --product mime-bench >/dev/null)
bin="$(cd "$here" && swift build -c release --show-bin-path)"

echo "== test data in $work"
[ -s "$work/random.bin" ] || head -c $((256 * 1024 * 1024)) /dev/urandom > "$work/random.bin"
base64 < "$work/random.bin" > "$work/random.b64"
[ -s "$work/text.txt" ] || python3 "$here/gen_text.py" "$work/text.txt" 256
[ -s "$work/dense.txt" ] || python3 "$here/gen_text.py" "$work/dense.txt" 64 --dense
[ -s "$work/message.eml" ] || python3 "$here/gen_message.py" "$work/message.eml" 10

echo "== machine: $(nproc) cores, $(uname -sr), $(base64 --version | head -1), $(python3 --version)"
python3 "$here/run.py" "$bin" "$work" "$repeat"
