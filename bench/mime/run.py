#!/usr/bin/env python3
"""MIME codec and parser benchmark: ours against coreutils `base64`, Python's binascii and
Python's email, measured in the same run. Called by run.sh after the release build.

Usage: run.py BIN_DIR WORK_DIR [REPEAT]

- base64: `chappe mime encode --base64 [--decode]` and coreutils `base64 [-d]`, each as a
  process filtering a 256 MiB file (random bytes, or their coreutils encoding) to /dev/null.
- quoted-printable: our encoder and decoder in-process (mime-bench, 64 KiB chunks) against
  binascii.b2a_qp / a2b_qp in-process, on 256 MiB of mail-like text (and, for reference, on
  escape-heavy text).
- parse: the MIME tree of a 10 MB multipart message in-process (mime-bench) against
  email.message_from_bytes; also with every body decoded on both sides.
The best of REPEAT runs (default 3) counts.
"""
import binascii
import email
import os
import subprocess
import sys
import time

bin_dir, work = sys.argv[1], sys.argv[2]
repeat = int(sys.argv[3]) if len(sys.argv) > 3 else 3
ours_cli = os.path.join(bin_dir, "chappe-mime")
bench = os.path.join(bin_dir, "mime-bench")
MiB = 1024 * 1024


def best_process(args, stdin_path):
    best = float("inf")
    for _ in range(repeat):
        with open(stdin_path, "rb") as stdin, open(os.devnull, "wb") as devnull:
            start = time.perf_counter()
            subprocess.run(args, stdin=stdin, stdout=devnull, check=True)
            best = min(best, time.perf_counter() - start)
    return best


def best_python(function):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def ours_in_process(operation, path):
    out = subprocess.run([bench, operation, path, str(repeat)], check=True, capture_output=True, text=True).stdout
    return float(out.split()[1])


rows = []


def row(name, size, ours, theirs, peer, target):
    ratio = theirs / ours
    rows.append((name, size, ours, theirs, peer, ratio, target))
    print("%-30s ours %8.4f s (%8.1f MB/s)  %-24s %8.4f s  ratio %6.2fx  (target %.1fx)%s" % (
        name, ours, size / ours / 1e6, peer, theirs, ratio, target, "" if ratio >= target else "  BELOW TARGET"), flush=True)


random_path = os.path.join(work, "random.bin")
b64_path = os.path.join(work, "random.b64")
text_path = os.path.join(work, "text.txt")
dense_path = os.path.join(work, "dense.txt")
message_path = os.path.join(work, "message.eml")

# base64, as filters.
ours_b64 = subprocess.run([ours_cli, "mime", "encode", "--base64"], stdin=open(random_path, "rb"), capture_output=True, check=True).stdout
if ours_b64 != open(b64_path, "rb").read():
    sys.exit("chappe mime encode --base64 differs from coreutils base64")
size = os.path.getsize(random_path)
row("base64 encode (process)", size, best_process([ours_cli, "mime", "encode", "--base64"], random_path),
    best_process(["base64"], random_path), "coreutils base64", 1.5)
row("base64 decode (process)", size, best_process([ours_cli, "mime", "encode", "--base64", "--decode"], b64_path),
    best_process(["base64", "-d"], b64_path), "coreutils base64 -d", 1.5)
print("  in-process: encode %.3f s, decode %.3f s" % (ours_in_process("base64-encode", random_path), ours_in_process("base64-decode", b64_path)))

# quoted-printable, in-process on both sides.
for label, path, target in (("mail text", text_path, 3.0), ("escape-heavy text", dense_path, 0.0)):
    data = open(path, "rb").read()
    encoded = binascii.b2a_qp(data)
    qp_path = path + ".qp"
    with open(qp_path, "wb") as f:
        f.write(encoded)
    row("QP encode (%s)" % label, len(data), ours_in_process("qp-encode", path),
        best_python(lambda: binascii.b2a_qp(data)), "binascii.b2a_qp", target)
    row("QP decode (%s)" % label, len(encoded), ours_in_process("qp-decode", qp_path),
        best_python(lambda: binascii.a2b_qp(encoded)), "binascii.a2b_qp", target)

# Parsing a 10 MB multipart message.
message = open(message_path, "rb").read()
row("parse 10 MB message (tree)", len(message), ours_in_process("parse", message_path),
    best_python(lambda: email.message_from_bytes(message)), "email.message_from_bytes", 5.0)


def parse_and_decode():
    msg = email.message_from_bytes(message)
    return sum(len(p.get_payload(decode=True) or b"") for p in msg.walk() if not p.is_multipart())


row("parse + decode all bodies", len(message), ours_in_process("parse-decode", message_path),
    best_python(parse_and_decode), "email + get_payload", 0.0)

below = [r for r in rows if r[5] < r[6]]
print("RESULT: %d of %d measurements meet their target" % (len(rows) - len(below), len(rows)))
