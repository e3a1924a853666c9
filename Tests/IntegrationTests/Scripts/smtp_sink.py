#!/usr/bin/env python3
"""An SMTP sink for OutboundEndToEndTests.swift: aiosmtpd (pip package) with
handlers the tests control. It listens on one port on each HOST (the port is
chosen by the system unless --port is given), writes STATE/ready.json
({"port": N}) once it listens, and STATE/messages/NNNN.json for each message
it takes: envelope, data (hex, as received after dot-unstuffing), whether
the session was under TLS, and the local address the client reached.
Every transaction, taken or not, is appended to STATE/transactions.jsonl.

usage: smtp_sink.py STATE HOST[,HOST...] [options]
  --port N                 listen on N instead of a system-chosen port
  --tempfail-first N       answer 451 to the end of data of the first N transactions
  --hold-first SECONDS     leave the end of data of the first transaction unanswered that long,
                           then answer 451 (the client is meant to die meanwhile)
  --reply ADDRESS=REPLY    answer RCPT TO:<ADDRESS> with REPLY ("550 5.1.1 no such user")
  --reply-once ADDRESS=REPLY   the same, for the first RCPT TO:<ADDRESS> only
  --pipelining             announce PIPELINING (aiosmtpd reads pipelined commands in order)
  --no-8bitmime            leave 8BITMIME out of the EHLO reply
  --no-smtputf8            do not offer SMTPUTF8
  --starttls CERT KEY      offer STARTTLS with this certificate and key
  --data-delay SECONDS     wait this long before answering each end of data
STATE/connections.json keeps the most connections open at once and the total.
Runs until SIGTERM.
"""
import argparse
import asyncio
import json
import os
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP


class Handler:
    def __init__(self, state, options):
        self.state = state
        self.options = options
        self.transactions = 0
        self.replies = dict(
            (address.lower(), reply)
            for address, reply in (entry.split("=", 1) for entry in options.reply))
        self.replies_once = dict(
            (address.lower(), reply)
            for address, reply in (entry.split("=", 1) for entry in options.reply_once))
        os.makedirs(os.path.join(state, "messages"), exist_ok=True)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.options.no_8bitmime:
            responses = [line for line in responses if "8BITMIME" not in line]
        if self.options.pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        reply = self.replies_once.pop(address.lower(), None) or self.replies.get(address.lower())
        if reply is not None:
            return reply
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.append(rcpt_options)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        self.transactions += 1
        number = self.transactions
        record = {
            "mail_from": envelope.mail_from,
            "mail_options": envelope.mail_options,
            "rcpt_tos": envelope.rcpt_tos,
            "rcpt_options": envelope.rcpt_options,
            "data": bytes(envelope.original_content or b"").hex(),
            "tls": server._tls_protocol is not None,
            "helo": session.host_name,
            "local": server.transport.get_extra_info("sockname")[0],
        }
        held = number == 1 and self.options.hold_first > 0
        refused = held or number <= self.options.tempfail_first
        record["reply"] = "held" if held else "451" if refused else "250"
        with open(os.path.join(self.state, "transactions.jsonl"), "a") as log:
            log.write(json.dumps(record) + "\n")
        if held:
            await asyncio.sleep(self.options.hold_first)
        elif self.options.data_delay > 0:
            await asyncio.sleep(self.options.data_delay)
        if refused:
            return "451 4.3.0 try again later"
        name = os.path.join(self.state, "messages", "%04d.json" % number)
        with open(name + ".tmp", "w") as file:
            json.dump(record, file)
        os.rename(name + ".tmp", name)
        return "250 2.0.0 OK queued"


class Connections:
    """Connections open now, at most and in total, written to STATE/connections.json."""

    def __init__(self, state):
        self.path = os.path.join(state, "connections.json")
        self.open = self.most = self.total = 0

    def change(self, delta):
        self.open += delta
        if delta > 0:
            self.total += 1
        self.most = max(self.most, self.open)
        with open(self.path + ".tmp", "w") as file:
            json.dump({"open": self.open, "max": self.most, "total": self.total}, file)
        os.rename(self.path + ".tmp", self.path)


class CountingSMTP(SMTP):
    """aiosmtpd's session, counted once per TCP connection (STARTTLS calls connection_made again)."""

    connections = None

    def connection_made(self, transport):
        if not getattr(self, "_counted", False):
            self._counted = True
            self.connections.change(1)
        super().connection_made(transport)

    def connection_lost(self, error):
        if getattr(self, "_counted", False) and not getattr(self, "_lost", False):
            self._lost = True
            self.connections.change(-1)
        super().connection_lost(error)


async def serve(options):
    handler = Handler(options.state, options)
    context = None
    if options.starttls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(options.starttls[0], options.starttls[1])

    CountingSMTP.connections = Connections(options.state)

    def factory():
        return CountingSMTP(handler, hostname="sink.test", decode_data=False, tls_context=context,
                    require_starttls=False, enable_SMTPUTF8=not options.no_smtputf8)

    loop = asyncio.get_running_loop()
    servers = []
    port = options.port
    for host in options.hosts.split(","):
        server = await loop.create_server(factory, host, port)
        port = server.sockets[0].getsockname()[1]
        servers.append(server)
    with open(os.path.join(options.state, "ready.json.tmp"), "w") as file:
        json.dump({"port": port}, file)
    os.rename(os.path.join(options.state, "ready.json.tmp"), os.path.join(options.state, "ready.json"))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    loop.add_signal_handler(signal.SIGINT, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("state")
    parser.add_argument("hosts")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--tempfail-first", type=int, default=0)
    parser.add_argument("--hold-first", type=float, default=0)
    parser.add_argument("--data-delay", type=float, default=0)
    parser.add_argument("--reply", action="append", default=[])
    parser.add_argument("--reply-once", action="append", default=[])
    parser.add_argument("--pipelining", action="store_true")
    parser.add_argument("--no-smtputf8", action="store_true")
    parser.add_argument("--no-8bitmime", action="store_true")
    parser.add_argument("--starttls", nargs=2)
    options = parser.parse_args()
    # The test runner may start us with signals blocked: SIGTERM must stop us.
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    os.makedirs(options.state, exist_ok=True)
    try:
        asyncio.run(serve(options))
    except OSError as error:
        print("smtp_sink: %s" % error, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
