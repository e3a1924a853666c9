#!/usr/bin/env bash
# A Postfix instance of its own for the interoperation tests: listens on
# 127.0.0.1:PORT, accepts mail from loopback and relays everything to
# RELAY (host:port) through its relayhost, without DNS.
#   postfix_relay.sh start DIR PORT RELAY_PORT
#   postfix_relay.sh stop DIR
set -euo pipefail
export PATH="$PATH:/usr/sbin"
command="$1"; dir="$2"
case "$command" in
start)
  port="$3"; relay_port="$4"
  mkdir -p "$dir/etc" "$dir/queue" "$dir/data"
  chown postfix:postfix "$dir/data"
  cat > "$dir/etc/main.cf" <<CF
compatibility_level = 3.6
config_directory = $dir/etc
queue_directory = $dir/queue
data_directory = $dir/data
meta_directory = /etc/postfix
command_directory = /usr/sbin
daemon_directory = /usr/lib/postfix/sbin
shlib_directory = /usr/lib/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.interop.test
mydomain = interop.test
myorigin = interop.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:$relay_port
relay_domains =
alias_maps =
alias_database =
local_recipient_maps =
smtp_host_lookup = native
disable_dns_lookups = yes
smtputf8_enable = no
biff = no
maillog_file = $dir/maillog
maillog_file_prefixes = /tmp
smtp_tls_security_level = may
smtpd_relay_restrictions = permit_mynetworks, reject
CF
  cat > "$dir/etc/master.cf" <<CF
127.0.0.1:$port inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
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
