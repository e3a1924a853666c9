# Chappe: `make run` and `make test` work on a fresh Debian machine: they
# install the Debian packages the build and the tests need, then build.

SWIFT ?= swift
# Build: SQLite (GRDB) and ncursesw (the reader). Tests: the real clients and
# peers the end-to-end tests drive. Postfix is installed unconfigured: the
# tests run instances of their own, never the system's mail service.
# aiosmtpd (the outbound tests' SMTP sink) comes from PyPI: the python3 on
# PATH may be another interpreter than Debian's (pyenv), which would not see
# python3-aiosmtpd; Debian's own refuses pip without --break-system-packages.
DEBIAN_PACKAGES := libsqlite3-dev libncurses-dev pkg-config openssl curl python3 python3-pip swaks fetchmail dovecot-core dovecot-pop3d dovecot-imapd postfix isync dnsutils nsd dnsperf
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps build run test bench clean

all: build

deps:
	@missing=""; \
	for package in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$package >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  echo "postfix postfix/main_mailer_type select No configuration" | $(SUDO) debconf-set-selections; \
	  $(SUDO) apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing; \
	fi
	@python3 -c "import aiosmtpd" 2>/dev/null || python3 -m pip install -q aiosmtpd \
	  || python3 -m pip install -q --break-system-packages aiosmtpd

build: deps
	$(SWIFT) build

# Runs the server on the default configuration, etc/chappe.toml: every
# listener on 127.0.0.1, standard port + 2000, data in ./spool.
run: build
	$$($(SWIFT) build --show-bin-path)/chappe serve

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	@for script in bench/*/run.sh; do [ -x "$$script" ] && "$$script"; done; true

clean:
	rm -rf .build
