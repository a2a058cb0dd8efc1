# Aurora Lab. GNU make.
#
#   make run     build the wasm, start the server, print its address (ARGS="-addr :9000 -v")
#   make test    lint, then every test layer: native, engine under node,
#                wasm/ in headless Chromium, end to end against the server
#   make bench   engine benchmarks (native and node) and the page load
#   make pgo     wasm/default.pgo, the CPU profile the wasm build optimises for
#   make wasm    web/main.wasm, web/main.wasm.gz, web/wasm_exec.js
#   make lint    gofmt, go vet and staticcheck, native (with -tags e2e) and GOOS=js
#   make tools   .bin/staticcheck, .bin/wasmbrowsertest, .bin/chromium, .bin/axe (npm)
#   make clean

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# One layer at a time, in order, even under make -j.
.NOTPARALLEL:

GO ?= go
GOROOT := $(shell $(GO) env GOROOT)
BIN := $(CURDIR)/.bin

# Native commands must not inherit a GOOS/GOARCH from the environment; the
# wasm ones set theirs explicitly.
unexport GOOS GOARCH
WASM_ENV := GOOS=js GOARCH=wasm
NODE_EXEC := $(GOROOT)/lib/wasm/go_js_wasm_exec
# The browser layers find Chromium through .bin/chromium (scripts/chromium).
BROWSER_ENV := PATH="$(BIN):$$PATH"

# has_tests DIR: whether DIR holds any *_test.go.
has_tests = [ -n "$$(find $(1) -name '*_test.go' -print -quit 2>/dev/null)" ]

.PHONY: help
help:
	@sed -n 's/^#   //p' $(firstword $(MAKEFILE_LIST))

# ---------------------------------------------------------------- build

# web/main.wasm is replaced only when its bytes change, so that the
# compressed copies are made again only then. web/main.wasm.gz is served to
# clients that accept gzip; web/main.wasm.HASH.br (when Debian's brotli is
# installed) to those that accept br: HASH names the main.wasm it was made
# from, so the server never serves a stale one. Brotli quality 9 takes under
# a second on a 6 MB wasm; 11 saves another ~12% and takes ~10 s (delete the
# .br first: make clean, or rm web/main.wasm.*.br).
BROTLI_Q ?= 9
.PHONY: wasm
wasm:
	@echo "==> wasm: web/main.wasm"
	@mkdir -p $(BIN)
	cp "$(GOROOT)/lib/wasm/wasm_exec.js" web/wasm_exec.js
	$(WASM_ENV) $(GO) build -trimpath -buildvcs=false -ldflags='-s -w' -o $(BIN)/main.wasm.new ./wasm
	@if cmp -s $(BIN)/main.wasm.new web/main.wasm; then rm $(BIN)/main.wasm.new; \
	else mv $(BIN)/main.wasm.new web/main.wasm; fi
	@if [ ! -s web/main.wasm.gz ] || [ web/main.wasm -nt web/main.wasm.gz ]; then \
		echo "gzip -9 -n -k -f web/main.wasm"; gzip -9 -n -k -f web/main.wasm; fi
	@br=web/main.wasm.$$(sha256sum web/main.wasm | cut -c1-16).br; \
	for f in web/main.wasm.*.br; do [ "$$f" = "$$br" ] || rm -f "$$f"; done; \
	if command -v brotli >/dev/null && [ ! -s "$$br" ]; then \
		echo "brotli -q $(BROTLI_Q) -o $$br web/main.wasm"; \
		brotli -q $(BROTLI_Q) -f -o $(BIN)/main.wasm.br.new web/main.wasm && mv $(BIN)/main.wasm.br.new "$$br"; fi
	@for f in web/main.wasm web/main.wasm.gz web/main.wasm.*.br; do \
		[ ! -e "$$f" ] || printf '    %10d  %s\n' "$$(stat -c %s "$$f")" "$$f"; done

# The server embeds web/, so it is built after the wasm.
.PHONY: server
server: wasm
	$(GO) build -buildvcs=false -o $(BIN)/aurora-lab .

.PHONY: run
run: server
	exec $(BIN)/aurora-lab $(ARGS)

# ---------------------------------------------------------------- tools

# Test tools from the separate tools/ module: wasmbrowsertest needs a
# chromedp (v0.16) that clashes with the main module's (v0.23).
TOOL_BINS := $(BIN)/staticcheck $(BIN)/wasmbrowsertest
AXE := $(BIN)/axe/node_modules/axe-core/axe.min.js

.PHONY: tools
tools: $(TOOL_BINS) $(BIN)/chromium $(AXE)

$(TOOL_BINS) &: tools/go.mod tools/go.sum
	@mkdir -p $(BIN)
	cd tools && env -u GOOS -u GOARCH $(GO) build -o $(BIN)/ tool

$(BIN)/chromium: scripts/chromium
	@mkdir -p $(BIN)
	install -m 755 $< $@

# axe-core, for the end-to-end accessibility check: the version and its
# checksum are pinned by tools/axe/package-lock.json, and npm ci fetches
# it from the npm registry into .bin/axe (nothing of it is in the repo).
$(AXE): tools/axe/package.json tools/axe/package-lock.json
	@mkdir -p $(BIN)/axe
	cp tools/axe/package.json tools/axe/package-lock.json $(BIN)/axe/
	cd $(BIN)/axe && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	@touch $@

# ---------------------------------------------------------------- checks

# Native vet and staticcheck run with -tags e2e so that they also see the
# end-to-end tests; the GOOS=js runs see the js-only files (syscall/js).
.PHONY: lint
lint: tools
	@echo "==> lint: gofmt"
	@bad="$$(gofmt -l .)"; if [ -n "$$bad" ]; then \
		echo "gofmt -l: these files need gofmt -w:"; echo "$$bad"; exit 1; fi
	@echo "==> lint: go vet (native, -tags e2e)"
	$(GO) vet -tags e2e ./...
	@echo "==> lint: go vet (GOOS=js GOARCH=wasm)"
	$(WASM_ENV) $(GO) vet ./...
	@echo "==> lint: staticcheck (native, -tags e2e)"
	$(BIN)/staticcheck -tags e2e ./...
	@echo "==> lint: staticcheck (GOOS=js GOARCH=wasm)"
	$(WASM_ENV) $(BIN)/staticcheck ./...

# A hung test fails its layer after TEST_TIMEOUT (go test's default is 10
# minutes per package, which a hung IndexedDB wait in a browser test spends
# in full).
TEST_TIMEOUT ?= 4m

.PHONY: test test-native test-node test-browser test-e2e
test: lint test-native test-node test-browser test-e2e
	@echo "==> make test: lint and all 4 layers passed"

test-native:
	@echo "==> layer 1/4: native go test ./..."
	$(GO) test -timeout $(TEST_TIMEOUT) ./...

test-node:
	@echo "==> layer 2/4: engine under GOOS=js (node)"
	$(WASM_ENV) $(GO) test -timeout $(TEST_TIMEOUT) -exec="$(NODE_EXEC)" ./engine/...

test-browser: tools
	@echo "==> layer 3/4: wasm/ in headless Chromium (wasmbrowsertest)"
	@if $(call has_tests,wasm); then \
		echo '$(WASM_ENV) $(GO) test -timeout $(TEST_TIMEOUT) -exec="$(BIN)/wasmbrowsertest" ./wasm/...'; \
		$(BROWSER_ENV) $(WASM_ENV) $(GO) test -timeout $(TEST_TIMEOUT) -exec="$(BIN)/wasmbrowsertest" ./wasm/...; \
	else echo "    no *_test.go under wasm/ yet: nothing to run"; fi

# The end-to-end tests get the server binary (built with the fresh wasm
# embedded) in AURORA_LAB_BIN; it prints "Aurora Lab: http://HOST:PORT/"
# when started with -addr 127.0.0.1:0.
test-e2e: server $(BIN)/chromium $(AXE)
	@echo "==> layer 4/4: end to end, chromedp against the served page"
	@if $(call has_tests,e2e); then \
		echo '$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -tags e2e ./e2e/...'; \
		$(BROWSER_ENV) AURORA_LAB_BIN="$(BIN)/aurora-lab" AXE_CORE_JS="$(AXE)" $(GO) test -count=1 -timeout $(TEST_TIMEOUT) -tags e2e ./e2e/...; \
	else echo "    no *_test.go under e2e/ yet: nothing to run"; fi

# ---------------------------------------------------------------- benchmarks

.PHONY: bench bench-engine bench-page
bench: bench-engine bench-page

# The engine is measured as the page's wasm is built: with the profile in
# wasm/default.pgo (go build applies a main package's default.pgo by itself;
# go test must be told). BENCH_PGO=off measures it without.
BENCH_PGO ?= $(CURDIR)/wasm/default.pgo
bench-engine:
	@echo "==> bench: engine, native"
	$(GO) test -pgo=$(BENCH_PGO) -run '^$$' -bench . -benchmem -cpu 1,2 ./engine/...
	@echo "==> bench: engine, GOOS=js (node)"
	$(WASM_ENV) $(GO) test -pgo=$(BENCH_PGO) -run '^$$' -bench . -benchmem -exec="$(NODE_EXEC)" ./engine/...

# Profile-guided optimisation: a CPU profile of the engine's benchmark
# workloads (the insert stream, the mixed workload, the idle cluster), run
# natively on one core. The compiler inlines and devirtualises the calls
# the profile shows hot; the profile names functions and lines, not machine
# code, so a native one serves the wasm build. As Go advises, the profile
# is taken from a binary built with the profile before it, so that calls
# the last build inlined stay hot in the next. Take it again after the
# engine's hot paths change much (a stale profile is safe, only less
# useful), and commit it.
PGO_FROM := $(if $(wildcard wasm/default.pgo),$(CURDIR)/wasm/default.pgo,off)
.PHONY: pgo
pgo:
	@echo "==> pgo: wasm/default.pgo"
	@mkdir -p $(BIN)
	$(GO) test -pgo=$(PGO_FROM) -run '^$$' -bench 'InsertStream|Mixed|IdleCluster' -benchtime 5s -cpu 1 \
		-cpuprofile $(BIN)/engine.pprof -o $(BIN)/engine.test ./engine
	cp $(BIN)/engine.pprof wasm/default.pgo

# The page in headless Chromium: the wasm bytes as served, navigation to
# first render (median of PAGEBENCH_N fresh profiles), frames and IndexedDB
# flushes under a workload, and the restore of 10k and 100k-input sessions
# (about ten minutes in all). PAGEBENCH_ARGS passes more flags, e.g.
# PAGEBENCH_ARGS='-restore= -load=false' for the load time alone.
PAGEBENCH_N ?= 7
PAGEBENCH_ARGS ?=
bench-page: server $(BIN)/chromium $(BIN)/pagebench
	@echo "==> bench: the page in headless Chromium"
	$(BROWSER_ENV) $(BIN)/pagebench -server $(BIN)/aurora-lab -n $(PAGEBENCH_N) $(PAGEBENCH_ARGS)

# The README's screenshots, into docs/.
.PHONY: shots
shots: server $(BIN)/chromium $(BIN)/pagebench
	$(BROWSER_ENV) $(BIN)/pagebench -server $(BIN)/aurora-lab -shots docs

.PHONY: $(BIN)/pagebench
$(BIN)/pagebench:
	$(GO) build -buildvcs=false -o $(BIN)/pagebench ./internal/cmd/pagebench

# ---------------------------------------------------------------- clean

.PHONY: clean
clean:
	rm -rf $(BIN) web/main.wasm web/main.wasm.gz web/main.wasm.*.br web/wasm_exec.js
