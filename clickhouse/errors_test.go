package clickhouse_test

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/internal/clickhousetest"
)

// TestErrorsSayWhatToDo: every error leaving the package is a domain error
// whose code tells the caller to retry, fix the input or call an operator,
// read from what the real engine and a dead address answer.
func TestErrorsSayWhatToDo(t *testing.T) {
	cfg := clickhousetest.Migrated(t)
	db, _ := clickhousetest.OpenStore(t, cfg)
	ctx := context.Background()
	ok := rebate.Event{ID: "e1", Type: rebate.Click, TS: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), UserID: 1, MerchantID: 1, ProductID: 1}

	// A backfill spanning more months than one insert may touch is refused
	// for its size, which waiting cannot fix: the caller splits the batch.
	var span []rebate.Event
	for m := range 150 {
		e := ok
		e.ID, e.TS = "m"+time.Duration(m).String(), time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, m, 0)
		span = append(span, e)
	}
	if err := db.InsertEvents(ctx, span, nil, ""); err != nil {
		t.Errorf("150 months in one insert: %v (want it stored: the insert takes any number of partitions)", err)
	}

	// A missing table is the deployment's fault.
	bad := cfg
	bad.Database = "no_such_database_here"
	if other, err := clickhouse.Open(ctx, bad); err == nil {
		err = other.InsertEvents(ctx, []rebate.Event{ok}, nil, "")
		if c := rebate.ErrorCode(err); c != rebate.EMISCONFIG {
			t.Errorf("insert into a missing database: code %q (%v), want %q", c, err, rebate.EMISCONFIG)
		}
		other.Close()
	} else if c := rebate.ErrorCode(err); c != rebate.EMISCONFIG {
		t.Errorf("open a missing database: code %q (%v), want %q", c, err, rebate.EMISCONFIG)
	}

	// Every connection busy past the dial timeout (an API answering more
	// reads than the engine keeps up with): wait and retry. It was an
	// internal error, so the API answered 500 and the ingester stopped after
	// its bounded retries.
	busy := cfg
	busy.MaxOpenConns, busy.DialTimeout = 1, time.Second
	bdb, bst := clickhousetest.OpenStore(t, busy)
	// A statement of 5 s (a second a row) holds the pool's one connection
	// until it is cancelled, so the 1 s wait below does not race its end.
	const hold = "SELECT sleepEachRow(1) FROM numbers(5) SETTINGS max_block_size = 1 -- errors_test: the pool's one connection"
	holdCtx, release := context.WithCancel(ctx)
	held := make(chan error, 1)
	go func() { held <- bdb.Conn().Exec(holdCtx, hold) }()
	defer func() { release(); <-held }()
	for deadline := time.Now().Add(10 * time.Second); ; { // until the engine runs it, so the connection is taken
		var n uint64
		if err := db.Conn().QueryRow(ctx, "SELECT count() FROM system.processes WHERE query LIKE {q:String}",
			ch.Named("q", "%errors_test: the pool's one connection%")).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			break
		}
		select {
		case err := <-held:
			held <- err // for the deferred wait
			t.Fatalf("the holding statement ended before the read: %v", err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the holding statement never ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_, err := bst.Balance(ctx, 1)
	if c := rebate.ErrorCode(err); c != rebate.EUNAVAIL {
		t.Errorf("a read with every connection busy: code %q (%v), want %q", c, err, rebate.EUNAVAIL)
	} else if msg := err.Error(); strings.Contains(msg, "max open conn") {
		t.Errorf("the busy pool's error %q gives clickhouse-go's advice to the operator to API clients", msg)
	}

	// Nobody listening: wait and retry.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().String()
	ln.Close()
	down := cfg
	down.Addr, down.DialTimeout = dead, time.Second
	if _, err := clickhouse.Open(ctx, down); rebate.ErrorCode(err) != rebate.EUNAVAIL {
		t.Errorf("open with nobody listening: code %q (%v), want %q", rebate.ErrorCode(err), err, rebate.EUNAVAIL)
	}
}
