#!/usr/bin/env python3
"""SMTP scenarios for SMTPEndToEndTests.swift, run with real clients (smtplib,
a raw socket for PIPELINING). Prints one JSON object on stdout.

usage: smtp_scenarios.py SCENARIO HOST PORT ARGS...
  send FROM RCPTS(comma) MESSAGE_HEX [OPTIONS]  smtplib, BODY=8BITMIME or the MAIL options given (comma)
  pipelined FROM RCPT MESSAGE_HEX               MAIL, RCPT, DATA in one write
  submission USER PASSWORD FROM RCPTS MESSAGE_HEX   STARTTLS, AUTH PLAIN
  burst RCPT PREFIX FIRST COUNT                 one connection per message, subject PREFIX-N;
                                                prints the N that got 250 (failures are skipped)
"""
import json
import smtplib
import socket
import ssl
import sys
import time


def replies(sock, count):
    """Reads `count` complete replies; returns their last lines."""
    data = b""
    found = []
    while len(found) < count:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
        while b"\r\n" in data:
            line, data = data.split(b"\r\n", 1)
            text = line.decode("utf-8", "replace")
            if len(text) >= 4 and text[3] == " ":
                found.append(text)
            elif len(text) == 3:
                found.append(text)
    return found


def stuffed(message):
    lines = message.split(b"\r\n")
    return b"\r\n".join((b"." + l if l.startswith(b".") else l) for l in lines)


def main():
    scenario, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    args = sys.argv[4:]
    result = {}
    if scenario == "send":
        sender, rcpts, message = args[0], args[1].split(","), bytes.fromhex(args[2])
        options = args[3].split(",") if len(args) > 3 else ["BODY=8BITMIME"]
        client = smtplib.SMTP(host, port, timeout=60)
        client.ehlo("client.example")
        result["features"] = sorted(client.esmtp_features.keys())
        try:
            refused = client.sendmail(sender, rcpts, message, mail_options=options)
            result["refused"] = {k: [v[0], v[1].decode()] for k, v in refused.items()}
            result["code"] = 250
        except smtplib.SMTPRecipientsRefused as error:
            result["refused"] = {k: [v[0], v[1].decode()] for k, v in error.recipients.items()}
            result["code"] = 0
        except smtplib.SMTPResponseException as error:
            result["code"] = error.smtp_code
            result["text"] = error.smtp_error.decode()
        client.quit()
    elif scenario == "pipelined":
        sender, rcpt, message = args[0], args[1], bytes.fromhex(args[2])
        sock = socket.create_connection((host, port), timeout=60)
        result["greeting"] = replies(sock, 1)
        sock.sendall(b"EHLO client.example\r\n")
        result["ehlo"] = replies(sock, 1)
        sock.sendall(b"MAIL FROM:<%s> BODY=8BITMIME\r\nRCPT TO:<%s>\r\nDATA\r\n" % (sender.encode(), rcpt.encode()))
        result["group"] = replies(sock, 3)
        body = stuffed(message)
        if not body.endswith(b"\r\n"):
            body += b"\r\n"
        sock.sendall(body + b".\r\nQUIT\r\n")
        result["end"] = replies(sock, 2)
        sock.close()
    elif scenario == "submission":
        user, password, sender, rcpts, message = args[0], args[1], args[2], args[3].split(","), bytes.fromhex(args[4])
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        client = smtplib.SMTP(host, port, timeout=60)
        client.ehlo("client.example")
        result["before_tls"] = sorted(client.esmtp_features.keys())
        client.starttls(context=context)
        client.ehlo("client.example")
        result["after_tls"] = client.esmtp_features.get("auth", "")
        client.login(user, password, initial_response_ok=True)
        refused = client.sendmail(sender, rcpts, message)
        result["refused"] = {k: [v[0], v[1].decode()] for k, v in refused.items()}
        result["code"] = 250
        client.quit()
    elif scenario == "burst":
        # Messages "PREFIX-ID", one connection each. A message without a 250
        # is sent again (up to `tries` times, 0.1 s apart) under a new ID,
        # number * 100 + attempt: an unacknowledged copy may still have been
        # queued, and both copies must then be told apart.
        rcpt, prefix, first, count = args[0], args[1], int(args[2]), int(args[3])
        tries = int(args[4]) if len(args) > 4 else 1
        acked = []
        for number in range(first, first + count):
            for attempt in range(tries):
                ident = number * 100 + attempt
                message = ("From: load@remote.test\r\nSubject: %s-%d\r\n\r\nmessage %d\r\n" % (prefix, ident, ident)).encode()
                try:
                    client = smtplib.SMTP(host, port, timeout=30)
                    client.ehlo("client.example")
                    client.sendmail("load@remote.test", [rcpt], message)
                    acked.append(ident)
                    try:
                        client.quit()
                    except Exception:
                        pass
                    break
                except Exception:
                    time.sleep(0.1)
        result["acked"] = acked
    elif scenario == "big":
        # A message of about SIZE bytes (lines of 78 octets), written to FILE
        # as sent, then sent with smtplib.
        sender, rcpt, size, path = args[0], args[1], int(args[2]), args[3]
        head = ("From: %s\r\nTo: %s\r\nSubject: big\r\n\r\n" % (sender, rcpt)).encode()
        lines = []
        total = len(head)
        number = 0
        while total < size:
            line = (b"%08d " % number) + bytes(65 + (number % 26) for _ in range(67)) + b"\r\n"
            lines.append(line)
            total += len(line)
            number += 1
        message = head + b"".join(lines)
        with open(path, "wb") as out:
            out.write(message)
        client = smtplib.SMTP(host, port, timeout=120)
        client.ehlo("client.example")
        result["size_limit"] = int(client.esmtp_features.get("size", "0") or 0)
        client.sendmail(sender, [rcpt], message)
        result["code"] = 250
        result["bytes"] = len(message)
        client.quit()
    else:
        print("unknown scenario", scenario, file=sys.stderr)
        sys.exit(2)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
