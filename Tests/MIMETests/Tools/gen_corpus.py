#!/usr/bin/env python3
"""Generates the g-*.eml messages of the MIME corpus with Python's `email` package:
random trees of text, HTML, attachments and forwarded messages, with non-ASCII display
names, subjects and file names, in CRLF or LF form. Fixed seed: the output is stable.

Usage: python3 Tests/MIMETests/Tools/gen_corpus.py Tests/MIMETests/Corpus [COUNT]
"""
import email.policy
import os
import random
import sys
from email.message import EmailMessage
from email.headerregistry import Address

WORDS = ["mail", "news", "Grüße", "café", "naïve", "東京", "Zürich", "résumé", "plain", "report",
         "€100", "Ωmega", "straße", "data", "the", "quick", "fox", "Ærøskøbing", "ok", "=?not?=",
         "dash--line", "end."]
NAMES = ["Jürgen Müller", "Zoë Saldaña", "Bob", "Anne-Marie O'Neil", "山田 太郎", "Doe, John", "Ölaf"]
CHARSETS = ["utf-8", "iso-8859-1", "iso-8859-15", "windows-1252"]


def sentence(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def text_for(rng, charset):
    words = [w for w in WORDS if _encodable(w, charset)]
    lines = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(rng.randint(1, 8))]
    if rng.random() < 0.3:
        lines.append("x" * rng.randint(70, 200))  # a long line that QP must wrap
    return "\n".join(lines) + "\n"


def _encodable(word, charset):
    try:
        word.encode(charset)
        return True
    except UnicodeEncodeError:
        return False


def address(rng, i):
    return Address(rng.choice(NAMES), "user%d" % i, "example.test")


def build(rng, depth):
    msg = EmailMessage()
    msg["From"] = address(rng, 1)
    msg["To"] = [address(rng, 2), address(rng, 3)]
    msg["Subject"] = sentence(rng, rng.randint(1, 12))
    msg["Date"] = "Tue, %d Jul 2003 10:%02d:37 %s" % (rng.randint(1, 28), rng.randint(0, 59), rng.choice(["+0200", "-0500", "+0000"]))
    msg["Message-ID"] = "<%d.%d@example.test>" % (depth, rng.randint(0, 10**9))
    charset = rng.choice(CHARSETS)
    msg.set_content(text_for(rng, charset), charset=charset, cte=rng.choice(["quoted-printable", "base64", None]))
    if rng.random() < 0.6:
        html = "<html><body><p>%s</p></body></html>\n" % sentence(rng, 20)
        msg.add_alternative(html, subtype="html")
    for _ in range(rng.randint(0, 3)):
        kind = rng.random()
        if kind < 0.5:
            data = bytes(rng.randrange(256) for _ in range(rng.randint(0, 3000)))
            name = rng.choice(["report.pdf", "Grüße.bin", "données €.dat", "東京.png", "a b c.txt", "x" * 90 + ".bin"])
            msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
        elif kind < 0.8:
            msg.add_attachment(text_for(rng, "utf-8"), subtype="plain", filename="notes-%d.txt" % rng.randint(0, 99))
        elif depth < 2:
            msg.add_attachment(build(rng, depth + 1))
    return msg


def main():
    directory = sys.argv[1]
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 40
    rng = random.Random(20240101)
    for i in range(count):
        msg = build(rng, 0)
        linesep = "\r\n" if i % 3 else "\n"
        data = msg.as_bytes(policy=email.policy.default.clone(linesep=linesep))
        with open(os.path.join(directory, "g-%03d.eml" % i), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
