#!/usr/bin/env python3
"""IMAP scenarios driven by Python's imaplib, for IMAPEndToEndTests.swift.

usage: imap_scenarios.py SCENARIO HOST IMAP_PORT SMTP_PORT USER PASSWORD [ARGS...]

Each scenario prints one JSON object on stdout; message bytes are
hex-encoded. An unexpected reply lets imaplib's exception escape: the test
sees a non-zero exit and the traceback. Every socket has a timeout, so
nothing here can hang a test run.
"""
import json
import imaplib
import smtplib
import socket
import ssl
import sys
import time

TIMEOUT = 20


def unverified():
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, tuple):
        return [text(item) for item in value]
    if isinstance(value, list):
        return [text(item) for item in value]
    return value


def ok(result):
    typ, data = result
    if typ != "OK":
        raise RuntimeError("expected OK, got %s %r" % (typ, data))
    return data


def login(host, port, user, password):
    client = imaplib.IMAP4(host, port, timeout=TIMEOUT)
    ok(client.login(user, password))
    return client


def send_mail(host, smtp_port, subject, body, to="alice@example.test"):
    smtp = smtplib.SMTP(host, smtp_port, timeout=TIMEOUT)
    message = ("From: Bob <bob@remote.example>\r\nTo: %s\r\nSubject: %s\r\n"
               "Message-ID: <%s@remote.example>\r\n\r\n%s" % (to, subject, subject.replace(" ", "."), body))
    smtp.sendmail("bob@remote.example", [to], message.encode())
    smtp.quit()


def wait_for_messages(client, mailbox, count):
    """Polls STATUS until the delivery queue has put `count` messages in."""
    deadline = time.time() + 60
    while time.time() < deadline:
        data = ok(client.status(mailbox, "(MESSAGES)"))
        if b"MESSAGES %d" % count in data[0]:
            return
        time.sleep(0.05)
    raise RuntimeError("%s never held %d messages" % (mailbox, count))


def families(host, port, smtp_port, user, password):
    """One session through every command family, on mail sent by SMTP."""
    out = {}
    client = imaplib.IMAP4(host, port, timeout=TIMEOUT)
    out["capabilities"] = list(client.capabilities)
    ok(client.noop())
    out["id"] = text(client.xatom("ID", '("name" "imaplib")'))
    ok(client.login(user, password))
    # One at a time, so that UID 1 is "first" (the queue delivers in parallel).
    send_mail(host, smtp_port, "first", "Hello Alice,\r\nthe blue hat is here.\r\n")
    wait_for_messages(client, "INBOX", 1)
    send_mail(host, smtp_port, "second", "one\r\ntwo\r\n")
    wait_for_messages(client, "INBOX", 2)
    out["namespace"] = text(ok(client.namespace()))
    out["list"] = text(ok(client.list()))
    out["lsub"] = text(ok(client.lsub()))
    ok(client.create("Projects"))
    ok(client.rename("Projects", "Work"))
    ok(client.subscribe("Work"))
    out["lsub_work"] = text(ok(client.lsub('""', "Work")))
    ok(client.unsubscribe("Work"))
    out["status"] = text(ok(client.status("INBOX", "(MESSAGES UIDNEXT UNSEEN DELETED SIZE HIGHESTMODSEQ)")))
    out["examine"] = text(ok(client.select("INBOX", readonly=True)))
    out["examine_store"] = client.store("1", "+FLAGS", "(\\Seen)")[0]
    ok(client.close())
    out["select"] = text(ok(client.select("INBOX")))
    out["fetch_flags"] = text(ok(client.fetch("1:*", "(UID FLAGS RFC822.SIZE)")))
    out["envelope"] = text(ok(client.fetch("1", "(ENVELOPE)")))
    out["bodystructure"] = text(ok(client.fetch("2", "(BODYSTRUCTURE)")))
    out["header_fields"] = text(ok(client.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT FROM)])")))
    out["binary"] = text(ok(client.fetch("2", "(BINARY.PEEK[1] BINARY.SIZE[1])")))
    body = ok(client.fetch("2", "(BODY[])"))
    out["body_hex"] = body[0][1].hex()
    out["flags_after_body"] = text(ok(client.fetch("2", "(FLAGS)")))
    out["search_unseen"] = text(ok(client.search(None, "UNSEEN")))
    out["search_body"] = text(ok(client.search(None, "BODY", '"blue hat"')))
    out["search_or"] = text(ok(client.search(None, "OR", "SUBJECT", "second", "FROM", "nobody")))
    out["uid_search"] = text(ok(client.uid("SEARCH", "HEADER", "Message-ID", "<first@remote.example>")))
    out["esearch"] = text(client._simple_command("SEARCH", "RETURN", "(MIN MAX COUNT)", "ALL"))
    out["esearch_untagged"] = text(client.response("ESEARCH")[1])
    out["store"] = text(ok(client.store("1", "+FLAGS", "(\\Flagged $Label1)")))
    out["uid_store_silent"] = text(ok(client.uid("STORE", "2", "+FLAGS.SILENT", "(\\Answered)")))
    out["copy"] = text(ok(client.copy("1:2", "Work")))
    out["uid_move"] = text(client.uid("MOVE", "2", "Archive"))
    out["after_move"] = text(ok(client.fetch("1:*", "(UID)")))
    message = b"From: alice@example.test\r\nSubject: appended\r\n\r\nkept as a draft\r\n"
    out["append"] = text(ok(client.append("Drafts", "(\\Draft)", None, message)))
    out["append_trycreate"] = text(client.append("Nowhere", None, None, message))
    ok(client.check())
    ok(client.store("1", "+FLAGS", "(\\Deleted)"))
    out["expunge"] = text(ok(client.expunge()))
    out["after_expunge"] = text(ok(client.status("INBOX", "(MESSAGES)")))
    ok(client.unselect())
    out["work"] = text(ok(client.select("Work")))
    ok(client.store("1:*", "+FLAGS", "(\\Deleted)"))
    ok(client.close())
    out["work_after_close"] = text(ok(client.status("Work", "(MESSAGES)")))
    ok(client.delete("Work"))
    out["logout"] = client.logout()[0]
    print(json.dumps(out))


def idle(host, port, smtp_port, user, password):
    """IDLE, then a message sent by SMTP: the untagged EXISTS that comes."""
    client = login(host, port, user, password)
    ok(client.select("INBOX"))
    tag = client._new_tag().decode()
    client.send(("%s IDLE\r\n" % tag).encode())
    continuation = client.readline().decode().strip()
    started = time.time()
    send_mail(host, smtp_port, "during idle", "wake up\r\n")
    client.sock.settimeout(30)
    line = client.readline().decode().strip()
    elapsed = time.time() - started
    client.send(b"DONE\r\n")
    done = client.readline().decode().strip()
    while not done.startswith(tag):
        done = client.readline().decode().strip()
    client.logout()
    print(json.dumps({"continuation": continuation, "untagged": line, "done": done, "seconds": elapsed}))


def two_sessions(host, port, smtp_port, user, password):
    """Two sessions on INBOX: each sees the other's STORE and EXPUNGE."""
    alpha = login(host, port, user, password)
    send_mail(host, smtp_port, "shared one", "1\r\n")
    wait_for_messages(alpha, "INBOX", 1)
    send_mail(host, smtp_port, "shared two", "2\r\n")
    wait_for_messages(alpha, "INBOX", 2)
    beta = login(host, port, user, password)
    ok(alpha.select("INBOX"))
    ok(beta.select("INBOX"))
    out = {}
    ok(beta.store("2", "+FLAGS", "(\\Flagged)"))
    ok(alpha.noop())
    out["alpha_sees_store"] = text(alpha.response("FETCH")[1])
    ok(alpha.store("2", "+FLAGS", "(\\Seen)"))
    ok(beta.noop())
    out["beta_sees_store"] = text(beta.response("FETCH")[1])
    ok(beta.store("1", "+FLAGS", "(\\Deleted)"))
    ok(beta.expunge())
    ok(alpha.fetch("2", "(UID)"))
    out["alpha_no_expunge_during_fetch"] = text(alpha.response("EXPUNGE")[1])
    ok(alpha.noop())
    out["alpha_sees_expunge"] = text(alpha.response("EXPUNGE")[1])
    out["alpha_after"] = text(ok(alpha.fetch("1:*", "(UID FLAGS)")))
    alpha.logout()
    beta.logout()
    print(json.dumps(out))


def starttls(host, port, smtp_port, user, password):
    """Without TLS the password is refused; after STARTTLS it is taken."""
    client = imaplib.IMAP4(host, port, timeout=TIMEOUT)
    out = {"capabilities_before": list(client.capabilities)}
    try:
        client.login(user, password)
        out["login_before_tls"] = "accepted"
    except imaplib.IMAP4.error as error:
        out["login_before_tls"] = str(error)
    ok(client.starttls(ssl_context=unverified()))
    out["capabilities_after"] = text(ok(client.capability()))
    ok(client.login(user, password))
    out["select"] = text(ok(client.select("INBOX")))
    client.logout()
    secure = imaplib.IMAP4_SSL(host, int(sys.argv[7]), ssl_context=unverified(), timeout=TIMEOUT)
    ok(secure.login(user, password))
    out["imaps_select"] = text(ok(secure.select("INBOX")))
    secure.logout()
    print(json.dumps(out))


def wrong_password(host, port, smtp_port, user, password):
    client = imaplib.IMAP4(host, port, timeout=TIMEOUT)
    replies = []
    for _ in range(int(sys.argv[7])):
        try:
            client.login(user, "wrong")
            replies.append("accepted")
        except imaplib.IMAP4.error as error:
            replies.append(str(error))
        except imaplib.IMAP4.abort as error:
            replies.append("abort: %s" % error)
            break
    try:
        client.sock.settimeout(5)
        closed = client.sock.recv(1) == b""
    except (ConnectionResetError, BrokenPipeError, OSError):
        closed = True
    print(json.dumps({"replies": replies, "closed": closed}))


def deliver(host, port, smtp_port, user, password):
    """Sends one message per subject in ARGS by SMTP, one at a time."""
    client = login(host, port, user, password)
    count = int(ok(client.status("INBOX", "(MESSAGES)"))[0].split(b"MESSAGES ")[1].rstrip(b")"))
    for subject in sys.argv[7:]:
        send_mail(host, smtp_port, subject, "about %s\r\n" % subject)
        count += 1
        wait_for_messages(client, "INBOX", count)
    client.logout()
    print(json.dumps({"messages": count}))


def server_changes(host, port, smtp_port, user, password):
    """What a second client does on the server between two mbsync runs: a
    new folder with a message, a flag, a deletion."""
    client = login(host, port, user, password)
    ok(client.create("FromServer"))
    ok(client.append("FromServer", "(\\Seen)", None, b"Subject: made on the server\r\n\r\nx\r\n"))
    ok(client.select("INBOX"))
    found = ok(client.search(None, "SUBJECT", "\"%s\"" % sys.argv[7]))[0].split()
    ok(client.store(found[0], "+FLAGS", "(\\Answered)"))
    found = ok(client.search(None, "SUBJECT", "\"%s\"" % sys.argv[8]))[0].split()
    ok(client.store(found[0], "+FLAGS", "(\\Deleted)"))
    ok(client.expunge())
    client.logout()
    print(json.dumps({"done": True}))


def state(host, port, smtp_port, user, password):
    """Every mailbox's messages: subject and flags."""
    client = login(host, port, user, password)
    out = {}
    for line in ok(client.list()):
        name = line.decode().split(' "." ')[-1].strip('"')
        ok(client.select(name, readonly=True))
        messages = []
        data = ok(client.fetch("1:*", "(FLAGS BODY.PEEK[HEADER.FIELDS (SUBJECT)])")) if int(ok(client.select(name, readonly=True))[0]) else []
        for item in data:
            if isinstance(item, tuple):
                flags = item[0].decode().split("FLAGS (")[1].split(")")[0].split()
                subject = item[1].decode().strip().replace("Subject: ", "")
                messages.append({"subject": subject, "flags": sorted(f for f in flags if f != "\\Recent")})
        out[name] = sorted(messages, key=lambda m: m["subject"])
    client.logout()
    print(json.dumps(out))


SCENARIOS = {
    "deliver": deliver,
    "server-changes": server_changes,
    "state": state,
    "families": families,
    "idle": idle,
    "two-sessions": two_sessions,
    "starttls": starttls,
    "wrong-password": wrong_password,
}

if __name__ == "__main__":
    name, host, port, smtp_port, user, password = sys.argv[1:7]
    SCENARIOS[name](host, int(port), int(smtp_port), user, password)
