package clickhouse

import (
	"context"
	"fmt"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// progressEvery is how often long work reports how far it got.
const progressEvery = time.Second

// watchQuery calls report with line(read, total) about once a second while
// the statement with query id runs (system.processes), until stop is
// called. With report nil it does nothing.
func (db *DB) watchQuery(ctx context.Context, id string, line func(read, total uint64) string, report func(string)) (stop func()) {
	return db.every(ctx, report, func(ctx context.Context) (string, bool) {
		var read, total uint64
		err := db.conn.QueryRow(ctx, "SELECT read_rows, total_rows_approx FROM system.processes WHERE query_id = {id:String}",
			ch.Named("id", id)).Scan(&read, &total)
		if err != nil {
			return "", false // not started yet, or done: nothing to say
		}
		return line(read, total), true
	})
}

// every runs poll about once a second until stop, sending what it says to
// report. A failed poll is skipped: progress is a courtesy, never an error.
func (db *DB) every(ctx context.Context, report func(string), poll func(context.Context) (string, bool)) (stop func()) {
	if report == nil {
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if s, ok := poll(ctx); ok && ctx.Err() == nil {
					report(s)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

// progressOf says how far a read went: "42% (4.2 M of 10.0 M rows)".
func progressOf(read, total uint64) string {
	if total == 0 || read > total {
		return count(read) + " rows read"
	}
	return fmt.Sprintf("%d%% (%s of %s rows)", read*100/total, count(read), count(total))
}

func count(n uint64) string {
	switch {
	case n >= 1_000_000:
		return fmt.Sprintf("%.1f M", float64(n)/1e6)
	case n >= 10_000:
		return fmt.Sprintf("%.0f k", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}
