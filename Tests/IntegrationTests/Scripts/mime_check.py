#!/usr/bin/env python3
"""Reads a message (hex on the command line) with Python's email package and
prints one JSON object: whether every octet is 7-bit and every line at most
998 octets (RFC 5322 §2.1.1), the decoded Subject, the parser's defects, and
each leaf part with its type, transfer encoding and decoded content (text
as a string, other parts as hex). For OutboundEndToEndTests.swift.

usage: mime_check.py MESSAGE_HEX
"""
import email
import email.policy
import json
import sys


def main():
    raw = bytes.fromhex(sys.argv[1])
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = []
    defects = [str(d) for d in message.defects]
    for part in message.walk():
        defects += [str(d) for d in part.defects]
        if part.is_multipart():
            continue
        leaf = {"type": part.get_content_type(), "cte": part.get("Content-Transfer-Encoding", "")}
        if part.get_content_maintype() == "text":
            leaf["text"] = part.get_content()
        else:
            leaf["hex"] = part.get_payload(decode=True).hex()
        parts.append(leaf)
    print(json.dumps({
        "seven_bit": all(octet < 128 for octet in raw),
        "short_lines": all(len(line) <= 998 for line in raw.split(b"\r\n")),
        "subject": str(message["subject"]),
        "defects": defects,
        "parts": parts,
    }))


if __name__ == "__main__":
    main()
