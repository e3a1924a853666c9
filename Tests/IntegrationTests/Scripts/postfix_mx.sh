#!/usr/bin/env bash
# A Postfix instance of its own as the remote MX of the outbound tests:
# listens on 127.0.0.1:PORT, takes mail for DOMAIN (any local part) and
# delivers it with virtual(8) into the Maildir DIR/vmail/inbox/, without DNS.
# smtpd offers STARTTLS with a self-signed certificate made here.
#   postfix_mx.sh start DIR PORT DOMAIN
#   postfix_mx.sh stop DIR
set -euo pipefail
export PATH="$PATH:/usr/sbin"
command="$1"; dir="$2"
case "$command" in
start)
  port="$3"; domain="$4"
  vuid=$(id -u nobody); vgid=$(getent group nogroup | cut -d: -f3)
  mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/vmail"
  chown postfix:postfix "$dir/data"
  chown "$vuid:$vgid" "$dir/vmail"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/etc/key.pem" -out "$dir/etc/cert.pem" \
    -days 2 -subj "/CN=mx.postfix.test" 2>/dev/null
  chmod 600 "$dir/etc/key.pem"
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
myhostname = mx.postfix.test
mydomain = postfix.test
myorigin = postfix.test
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
smtp_host_lookup = native
disable_dns_lookups = yes
smtputf8_enable = no
biff = no
maillog_file = $dir/maillog
maillog_file_prefixes = /tmp
virtual_mailbox_domains = $domain
virtual_mailbox_base = $dir/vmail
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:$vuid
virtual_gid_maps = static:$vgid
virtual_minimum_uid = 1
smtpd_banner = \$myhostname ESMTP Postfix
smtpd_tls_security_level = may
smtpd_tls_cert_file = $dir/etc/cert.pem
smtpd_tls_key_file = $dir/etc/key.pem
smtpd_tls_received_header = yes
smtpd_tls_loglevel = 1
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
virtual   unix  -       n       n       -       -       virtual
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
CF
  postfix -c "$dir/etc" check
  postfix -c "$dir/etc" start
  # Ready when smtpd answers on the port (bounded).
  for _ in $(seq 1 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then exit 0; fi
    sleep 0.1
  done
  echo "postfix does not listen on 127.0.0.1:$port" >&2
  postfix -c "$dir/etc" stop || true
  exit 1
  ;;
stop)
  postfix -c "$dir/etc" stop || true
  ;;
*)
  echo "usage: $0 start DIR PORT DOMAIN | stop DIR" >&2
  exit 2
  ;;
esac
