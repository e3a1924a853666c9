#!/usr/bin/env python3
"""Reference reader for the MIME corpus: prints, as JSON, what Python's `email` package
(policy=default) makes of every message in a directory, for MIMETests to compare against.

Usage: python3 reference.py CORPUS_DIR

For each file (sorted by name) it prints the part tree with IMAP part numbers (RFC 3501
§6.4.5), content types, charsets, file names and an FNV-1a-64 hash and length of every
leaf's decoded body, and the header fields of every message root: addresses as
structured lists, dates as UTC seconds and zone offset, other fields as decoded text.

Python leaves bytes it cannot decode in header fields as lone surrogates; those are
mapped back to bytes and read as UTF-8, else Latin-1, as the Swift module does.
"""
import datetime
import email
import email.policy
import json
import os
import sys

ADDRESS_FIELDS = {"from", "to", "cc", "bcc", "reply-to", "sender", "resent-from", "resent-to",
                  "resent-cc", "resent-bcc", "resent-sender"}
DATE_FIELDS = {"date", "resent-date"}
SKIPPED_FIELDS = {"content-type", "content-disposition", "content-transfer-encoding", "mime-version"}


def fnv1a64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def text(s):
    """Undo surrogate escapes: the bytes read as UTF-8, else Latin-1."""
    if s is None:
        return None
    raw = s.encode("utf-8", "surrogateescape")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def header_value(name, value):
    key = name.lower()
    if key in ADDRESS_FIELDS:
        groups = []
        for group in value.groups:
            members = [{"display": text(a.display_name), "user": text(a.username), "domain": text(a.domain)}
                       for a in group.addresses]
            groups.append({"name": text(group.display_name), "members": members})
        return {"groups": groups}
    if key in DATE_FIELDS:
        dt = value.datetime
        if dt is None:
            return {"date": None}
        offset = dt.utcoffset()
        if offset is None:  # "-0000" or an unknown zone: the time is UTC, the zone unknown
            return {"date": int(dt.replace(tzinfo=datetime.timezone.utc).timestamp()), "zone": None}
        return {"date": int(dt.timestamp()), "zone": int(offset.total_seconds() // 60)}
    return {"text": text(str(value))}


def headers(msg):
    fields = []
    for name, value in msg.items():
        if name.lower() in SKIPPED_FIELDS:
            continue
        field = header_value(name, value)
        field["name"] = name
        fields.append(field)
    return fields


def describe(msg):
    parts = []
    roots = []

    def visit(part, number, is_root):
        ctype = part.get_content_type()
        payload = part.get_payload()
        if is_root:
            roots.append({"section": ".".join(map(str, number)), "fields": headers(part)})
        if part.get_content_maintype() == "message" and isinstance(payload, list):
            num = number + [1] if is_root else number
            parts.append({"section": ".".join(map(str, num)), "type": ctype, "kind": "message"})
            visit(payload[0], num, True)
        elif part.is_multipart():
            parts.append({"section": ".".join(map(str, number)), "type": ctype, "kind": "multipart",
                          "count": len(payload)})
            for index, child in enumerate(payload):
                visit(child, number + [index + 1], False)
        else:
            num = number + [1] if is_root else number
            body = part.get_payload(decode=True) or b""
            parts.append({"section": ".".join(map(str, num)), "type": ctype, "kind": "leaf",
                          "charset": part.get_content_charset(), "filename": text(part.get_filename()),
                          "size": len(body), "hash": fnv1a64(body)})

    visit(msg, [], True)
    return {"parts": parts, "roots": roots}


def main():
    directory = sys.argv[1]
    out = []
    for name in sorted(os.listdir(directory)):
        if not name.endswith(".eml"):
            continue
        with open(os.path.join(directory, name), "rb") as f:
            msg = email.message_from_bytes(f.read(), policy=email.policy.default)
        entry = describe(msg)
        entry["file"] = name
        out.append(entry)
    json.dump(out, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
