# Chappe: `make run` and `make test` work on a fresh Debian machine: they
# install the Debian packages the build and the tests need, then build.

SWIFT ?= swift
# Build: SQLite (GRDB) and ncursesw (the reader). Tests: the real clients and
# peers the end-to-end tests drive. Postfix is installed unconfigured: the
# tests run instances of their own, never the system's mail service.
DEBIAN_PACKAGES := libsqlite3-dev libncurses-dev pkg-config openssl curl python3 swaks fetchmail dovecot-core dovecot-pop3d dovecot-imapd postfix
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
