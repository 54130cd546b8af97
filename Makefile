# The README's two commands: `make run` and `make test`.
GO ?= go
# -race needs cgo; the engine itself is loaded at run time and needs neither.
export CGO_ENABLED ?= 1

BIN := bin/rebate

.PHONY: run test engine build bench clean

## run: the whole product on this machine, embedded (engine installed on first use)
run: engine build
	./$(BIN) chlocal

## test: vet, then every test with the race detector, against the real engine
test: engine
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 20m ./...

## engine: fetch the embedded ClickHouse engine into .cache (once)
engine:
	@bash scripts/install-engine.sh

build:
	$(GO) build -o $(BIN) ./cmd/rebate

## bench: the benchmarks recorded in docs/benchmarks.md
bench: engine
	$(GO) test -run '^$$' -bench 'BatchInsert|EndpointInsertNative' -benchtime 20x -count 5 ./chlocal/

clean:
	rm -rf bin data
