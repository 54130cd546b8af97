# The README's two commands: `make run` and `make test`.
GO ?= go
# -race needs cgo; the engine itself is loaded at run time and needs neither.
export CGO_ENABLED ?= 1

BIN := bin/rebate
# staticcheck, pinned: go run fetches this exact version through the module proxy.
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: run test test-deps fuzz engine build bench bench-live clean

## run: the whole product on this machine, embedded (engine installed on first use)
run: engine build
	./$(BIN) up

## test: vet, staticcheck, every test with the race detector against the real engine and
## a real browser (screenshots land in test-output/), then a short fuzz run of
## each parser that reads untrusted input
test: engine test-deps
	@test -z "$$(gofmt -l .)" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	@mkdir -p test-output
	$(GO) test -race -count=1 -timeout 45m -artifacts -outputdir $(CURDIR)/test-output ./...
	$(MAKE) fuzz FUZZTIME=$(FUZZTIME)

# Each fuzz target runs a fixed number of inputs, about five seconds' worth here. A
# duration (-fuzztime 15s) trips a race in Go 1.26's fuzz coordinator (Go issue
# 75804, fixed in 1.27): on a busy machine a worker still running at the deadline
# fails the target with a bare "context deadline exceeded" and no input. A count
# has no deadline to race. FUZZTIME=5m overrides every budget with a duration.
FUZZTIME ?=
fuzz_budget = $(or $(FUZZTIME),$(1)x)
## fuzz: the event decoder, the endpoint's SQL scanner and statement reader, the
## fences' readers of untrusted input (EXPLAIN AST answers, SQL text and VALUES data,
## the users setting, analysts' SQL text and its placeholders, the query trees of
## queries published), and the parameter
## types, declarations and values of analysts' queries, and the Native encoder against
## clickhouse-go's, a fixed number of inputs each
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(call fuzz_budget,100000) .
	$(GO) test -run '^$$' -fuzz '^FuzzScanner$$' -fuzztime $(call fuzz_budget,50000) ./embedded/chlocal/
	$(GO) test -run '^$$' -fuzz '^FuzzParseStatement$$' -fuzztime $(call fuzz_budget,50000) ./embedded/chlocal/
	$(GO) test -run '^$$' -fuzz '^FuzzParseAST$$' -fuzztime $(call fuzz_budget,300000) ./internal/sqlfence/
	$(GO) test -run '^$$' -fuzz '^FuzzCheckText$$' -fuzztime $(call fuzz_budget,250000) ./internal/sqlfence/
	$(GO) test -run '^$$' -fuzz '^FuzzParamType$$' -fuzztime $(call fuzz_budget,50000) ./clickhouse/
	$(GO) test -run '^$$' -fuzz '^FuzzSQLPlaceholders$$' -fuzztime $(call fuzz_budget,50000) ./clickhouse/
	$(GO) test -run '^$$' -fuzz '^FuzzReadTimeComparisons$$' -fuzztime $(call fuzz_budget,30000) ./clickhouse/
	$(GO) test -run '^$$' -fuzz '^FuzzFenceText$$' -fuzztime $(call fuzz_budget,25000) ./embedded/chlocal/
	$(GO) test -run '^$$' -fuzz '^FuzzParseUsers$$' -fuzztime $(call fuzz_budget,20000) ./embedded/chlocal/
	$(GO) test -run '^$$' -fuzz '^FuzzCredentials$$' -fuzztime $(call fuzz_budget,200000) ./internal/settings/
	$(GO) test -run '^$$' -fuzz '^FuzzNativeMatchesDriver$$' -fuzztime $(call fuzz_budget,20000) ./clickhouse/

## test-deps: Debian packages the tests use (kcat, chromium, prometheus for promtool)
test-deps:
	@bash scripts/install-test-deps.sh

## engine: fetch the embedded ClickHouse engine into .cache (once)
engine:
	@bash scripts/install-engine.sh

build:
	$(GO) build -o $(BIN) ./cmd/rebate

## bench: the benchmarks recorded in docs/benchmarks.md (and the broker's in
## docs/delivery.md); each reports CPU-seconds per million events, rows or
## records (or CPU per operation) from the processes' own accounting
bench: engine
	$(GO) test -run '^$$' -bench 'BatchInsert|EndpointInsertNative' -benchtime 20x -count 5 ./embedded/chlocal/
	$(GO) test -run '^$$' -bench 'Fence|PointQuery' -benchtime 2000x -count 5 ./embedded/chlocal/
	$(GO) test -run '^$$' -bench SQLFence -benchtime 300x -count 3 ./clickhouse/
	$(GO) test -run '^$$' -bench Produce -benchtime 2s -count 3 ./embedded/broker/
	$(GO) test -run '^$$' -bench Queries -benchtime 1000x -timeout 60m ./clickhouse/
	$(GO) test -run '^$$' -bench Ops -benchtime 1x -timeout 60m -v ./clickhouse/
	$(GO) test -run '^$$' -bench APILoad -benchtime 1x -timeout 60m -v ./api/
	$(GO) test -run '^$$' -bench 'EncodeEvents|InsertPath' -benchtime 20x -count 3 ./clickhouse/
	$(GO) test -run '^$$' -bench Pipeline -benchtime 1x -count 3 -timeout 90m -v ./ingest/
	REBATE_BENCH_PROFILE=1 $(GO) test -run '^$$' -bench SteadyBatch -benchtime 30x -count 3 ./clickhouse/
	REBATE_BENCH_PROFILE=1 REBATE_BENCH_BATCH=50000 $(GO) test -run '^$$' -bench SteadyBatch -benchtime 6x -count 3 ./clickhouse/
	$(GO) test -run '^$$' -bench LightTraffic -benchtime 1x -count 3 -timeout 30m ./cmd/rebate/
	$(MAKE) bench-live

## bench-live: reads while ingesting 20k events/s as history grows, drawn to
## docs/live-benchmark.svg (REBATE_BENCH_SIZES=1000000,10000000 for a shorter run)
bench-live: engine
	REBATE_BENCH_CHART=$(CURDIR)/docs/live-benchmark.svg $(GO) test -run '^$$' -bench Live -benchtime 1x -timeout 600m -v ./clickhouse/

clean:
	rm -rf bin data test-output
