#!/usr/bin/env bash
# A Postfix instance of its own as the remote MX of the outbound tests:
# listens on 127.0.0.1:PORT, takes mail for DOMAIN (any local part) and
# delivers it with virtual(8) into the Maildir DIR/vmail/inbox/, without DNS.
# smtpd offers STARTTLS with a self-signed certificate made here.
#   postfix_mx.sh start DIR PORT DOMAIN
#   postfix_mx.sh stop DIR
set -euo pipefail
export PATH="$PATH:/usr/sbin"
source "$(dirname "$0")/postfix_common.sh"
command="$1"; dir="$2"
case "$command" in
start)
  port="$3"; domain="$4"
  vuid=$(id -u nobody); vgid=$(getent group nogroup | cut -d: -f3)
  postfix_write_config "$dir" "$port" mx.postfix.test postfix.test
  mkdir -p "$dir/vmail"
  chown "$vuid:$vgid" "$dir/vmail"
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$dir/etc/key.pem" -out "$dir/etc/cert.pem" \
    -days 2 -subj "/CN=mx.postfix.test" 2>/dev/null
  chmod 600 "$dir/etc/key.pem"
  cat >> "$dir/etc/main.cf" <<CF
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
  cat >> "$dir/etc/master.cf" <<CF
virtual   unix  -       n       n       -       -       virtual
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
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
