#!/usr/bin/env python3
"""Writes mail-like text for the quoted-printable benchmark: lines of 20-120 characters of
words, about 1 word in 25 with a non-ASCII letter (UTF-8), a few "=" signs and tabs, LF line
endings. With --dense, 1 word in 4 is non-ASCII or "=" (escape-heavy text). Fixed seed; a
4 MiB block is repeated up to the requested size.

Usage: gen_text.py OUT MEGABYTES [--dense]
"""
import random
import sys

rng = random.Random(11)
ascii_words = ("the of and to in is that it for was on are as with his they at be this from have or by one had "
               "not but what all were when we there can an your which their said if do will each about how up out "
               "them then she many some so these would other into has more her two like him see time could no make "
               "than first been its who now people my made over did down only way find use may water long little "
               "very after words called just where most know message mail server client report attached").split()
other = ["café", "naïve", "Grüße", "señor", "Zürich", "déjà", "élève", "Ångström", "straße", "€5", "a=b", "x\ty"]
share = 0.25 if "--dense" in sys.argv else 0.04
block = []
size = 0
while size < 4 * 1024 * 1024:
    target = rng.randint(20, 120)
    line = []
    length = 0
    while length < target:
        word = rng.choice(other) if rng.random() < share else rng.choice(ascii_words)
        line.append(word)
        length += len(word) + 1
    text = (" ".join(line) + "\n").encode()
    block.append(text)
    size += len(text)
data = b"".join(block)
want = int(float(sys.argv[2]) * 1024 * 1024)
with open(sys.argv[1], "wb") as f:
    written = 0
    while written < want:
        piece = data[: want - written]
        f.write(piece)
        written += len(piece)
