#!/usr/bin/env python3
"""POP3 scenarios driven by Python's poplib, for POP3EndToEndTests.swift.

usage: pop3_scenarios.py SCENARIO HOST PORT USER PASSWORD [ARGS...]

Each scenario prints one JSON object on stdout; binary data (messages) is
hex-encoded. A scenario that meets an unexpected reply lets poplib's
exception escape: the test sees a non-zero exit and the traceback.
Every socket has a timeout, so nothing here can hang a test run.
"""
import base64
import json
import os
import poplib
import socket
import ssl
import sys

TIMEOUT = 15


def unverified():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def login(host, port, user, password):
    client = poplib.POP3(host, port, timeout=TIMEOUT)
    client.user(user)
    client.pass_(password)
    return client


def joined(lines):
    """poplib returns the lines un-stuffed, without CRLF: put them back."""
    return b"".join(line + b"\r\n" for line in lines)


def error_text(error):
    reply = error.args[0] if error.args else b""
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def is_closed(client):
    """True when the server has closed the connection."""
    try:
        client.sock.settimeout(5)
        return client.sock.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def listing(host, port, user, password):
    client = poplib.POP3(host, port, timeout=TIMEOUT)
    capabilities = sorted(client.capa().keys())
    client.user(user)
    client.pass_(password)
    count, octets = client.stat()
    _, sizes, _ = client.list()
    _, ids, _ = client.uidl()
    client.quit()
    return {"stat": [count, octets], "list": [line.decode() for line in sizes],
            "uidl": [line.decode() for line in ids], "capa": capabilities}


def retr(host, port, user, password, number):
    client = login(host, port, user, password)
    reply, lines, octets = client.retr(int(number))
    client.quit()
    return {"reply": reply.decode(), "octets": octets, "message": joined(lines).hex()}


def retr_after_rename(host, port, user, password, maildir):
    """Another program (a mail reader marking messages seen) renames the
    files after login: RETR still finds them."""
    client = login(host, port, user, password)
    renamed = 0
    for name in sorted(os.listdir(os.path.join(maildir, "new"))):
        os.rename(os.path.join(maildir, "new", name), os.path.join(maildir, "cur", name + ":2,S"))
        renamed += 1
    _, lines, _ = client.retr(1)
    client.quit()
    return {"renamed": renamed, "message": joined(lines).hex()}


def top(host, port, user, password, number, count):
    client = login(host, port, user, password)
    _, lines, _ = client.top(int(number), int(count))
    client.quit()
    return {"message": joined(lines).hex()}


def dele_quit(host, port, user, password, number):
    client = login(host, port, user, password)
    deleted = client.dele(int(number)).decode()
    count, _ = client.stat()
    quit_reply = client.quit().decode()
    return {"dele": deleted, "stat_after_dele": count, "quit": quit_reply}


def dele_rset(host, port, user, password, number):
    client = login(host, port, user, password)
    client.dele(int(number))
    after_dele, _ = client.stat()
    reset = client.rset().decode()
    after_rset, _ = client.stat()
    client.quit()
    return {"after_dele": after_dele, "rset": reset, "after_rset": after_rset}


def stls_auth_plain(host, port, user, password):
    """Plaintext login refused; STLS; then AUTH PLAIN (poplib has no helper)."""
    client = poplib.POP3(host, port, timeout=TIMEOUT)
    before = sorted(client.capa().keys())
    try:
        client.user(user)
        user_reply = "accepted"
    except poplib.error_proto as error:
        user_reply = error_text(error)
    client.stls(context=unverified())
    after = sorted(client.capa().keys())
    token = base64.b64encode(b"\0" + user.encode() + b"\0" + password.encode()).decode()
    auth = client._shortcmd("AUTH PLAIN " + token).decode()
    count, _ = client.stat()
    client.quit()
    return {"capa_before": before, "user_before_tls": user_reply, "capa_after": after, "auth": auth, "count": count,
            "cipher": client.sock.cipher()[0] if hasattr(client.sock, "cipher") else ""}


def wrong_password(host, port, user, password, attempts):
    client = poplib.POP3(host, port, timeout=TIMEOUT)
    replies = []
    for _ in range(int(attempts)):
        client.user(user)
        try:
            client.pass_(password + "-wrong")
            replies.append("+OK")
        except poplib.error_proto as error:
            replies.append(error_text(error))
    return {"replies": replies, "closed": is_closed(client)}


def in_use(host, port, user, password):
    first = login(host, port, user, password)
    second = poplib.POP3(host, port, timeout=TIMEOUT)
    second.user(user)
    try:
        second.pass_(password)
        refused = "+OK"
    except poplib.error_proto as error:
        refused = error_text(error)
    first.quit()
    # The lock goes with the first session: the second may now log in.
    second.user(user)
    accepted = second.pass_(password).decode()
    second.quit()
    return {"second": refused, "after_first_quit": accepted}


def long_line(host, port, user, password, length):
    client = login(host, port, user, password)
    client._putcmd("NOOP " + "x" * int(length))
    try:
        reply = client._getresp().decode()
    except poplib.error_proto as error:
        reply = error_text(error)
    noop = client.noop().decode()
    count, _ = client.stat()
    client.quit()
    return {"long": reply, "noop": noop, "count": count}


def pop3s(host, port, user, password, number):
    client = poplib.POP3_SSL(host, port, timeout=TIMEOUT, context=unverified())
    client.user(user)
    client.pass_(password)
    count, _ = client.stat()
    _, lines, _ = client.retr(int(number))
    client.quit()
    return {"count": count, "message": joined(lines).hex()}


def apop(host, port, user, password, secret):
    # poplib takes the timestamp from the greeting and sends MD5(timestamp + secret).
    client = poplib.POP3(host, port, timeout=TIMEOUT)
    result = {"welcome": client.getwelcome().decode()}
    try:
        client.apop(user, secret)
        result["count"] = client.stat()[0]
        client.quit()
    except poplib.error_proto as error:
        result["error"] = error_text(error)
    return result


SCENARIOS = {
    "listing": listing, "retr": retr, "top": top, "dele-quit": dele_quit, "dele-rset": dele_rset,
    "stls-auth-plain": stls_auth_plain, "wrong-password": wrong_password, "in-use": in_use,
    "long-line": long_line, "pop3s": pop3s, "retr-after-rename": retr_after_rename, "apop": apop,
}


def main():
    name, host, port, user, password, *rest = sys.argv[1:]
    print(json.dumps(SCENARIOS[name](host, int(port), user, password, *rest)))


if __name__ == "__main__":
    main()
