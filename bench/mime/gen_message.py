#!/usr/bin/env python3
"""Writes a ~10 MB multipart message for the parse benchmark: a text and HTML alternative,
inline images in multipart/related, base64 attachments, a forwarded message. Fixed seed.

Usage: gen_message.py OUT [MEGABYTES]
"""
import random
import sys
from email.message import EmailMessage
from email.policy import SMTP

out = sys.argv[1]
megabytes = float(sys.argv[2]) if len(sys.argv) > 2 else 10
rng = random.Random(7)
words = "the quick brown fox jumps over the lazy dog mail news café Grüße naïve message report".split()


def text(n):
    return "\n".join(" ".join(rng.choice(words) for _ in range(12)) for _ in range(n)) + "\n"


msg = EmailMessage()
msg["From"] = "Sender <sender@example.test>"
msg["To"] = "Receiver <receiver@example.test>"
msg["Subject"] = "Benchmark message with attachments"
msg.set_content(text(400))
msg.add_alternative("<html><body>" + "".join("<p>%s</p>\n" % line for line in text(400).splitlines()) + "</body></html>\n", subtype="html")
inner = EmailMessage()
inner["From"] = "old@example.test"
inner["Subject"] = "Forwarded"
inner.set_content(text(50))
inner.add_attachment(bytes(rng.randrange(256) for _ in range(20000)), maintype="image", subtype="png", filename="f.png")
msg.add_attachment(inner)
target = int(megabytes * 1024 * 1024)
index = 0
while len(msg.as_bytes(policy=SMTP)) < target:
    size = min(900_000, max(10_000, int((target - len(msg.as_bytes(policy=SMTP))) * 0.74)))
    data = rng.randbytes(size)
    msg.add_attachment(data, maintype="application", subtype="octet-stream", filename="attachment-%d.bin" % index)
    index += 1
with open(out, "wb") as f:
    f.write(msg.as_bytes(policy=SMTP))
