#!/usr/bin/env bash
# A Postfix instance of its own for the interoperation tests: listens on
# 127.0.0.1:PORT, accepts mail from loopback and relays everything to
# RELAY (host:port) through its relayhost, without DNS.
#   postfix_relay.sh start DIR PORT RELAY_PORT
#   postfix_relay.sh stop DIR
set -euo pipefail
export PATH="$PATH:/usr/sbin"
source "$(dirname "$0")/postfix_common.sh"
command="$1"; dir="$2"
case "$command" in
start)
  port="$3"; relay_port="$4"
  postfix_write_config "$dir" "$port" postfix.interop.test interop.test
  cat >> "$dir/etc/main.cf" <<CF
relayhost = [127.0.0.1]:$relay_port
relay_domains =
smtp_tls_security_level = may
smtpd_relay_restrictions = permit_mynetworks, reject
CF
  cat >> "$dir/etc/master.cf" <<CF
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
CF
  postfix -c "$dir/etc" check
  postfix -c "$dir/etc" start
  ;;
stop)
  postfix -c "$dir/etc" stop || true
  ;;
*)
  echo "usage: $0 start DIR PORT RELAY_PORT | stop DIR" >&2
  exit 2
  ;;
esac
