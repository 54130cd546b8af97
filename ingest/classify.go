package ingest

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"

	ch "github.com/ClickHouse/clickhouse-go/v2"
)

// class is what a failed flush calls for.
type class uint8

const (
	// retryable errors pass: back off and try again, for as long as it takes.
	retryable class = iota
	// poison means a row ClickHouse cannot take: split the batch to find it
	// and send it to the dead-letter topic, so it never blocks a partition.
	poison
	// unknown errors are retried a bounded number of times, then fatal.
	unknown
	// fatal errors need an operator (a missing table, no permission): stop
	// without committing, so nothing is lost.
	fatal
)

func (c class) String() string {
	return [...]string{"retryable", "poison", "unknown", "fatal"}[c]
}

// ClickHouse error codes by what they call for.
var (
	retryableCodes = map[int32]bool{
		3: true, 23: true, 24: true, 32: true, 33: true, // reading or writing the connection ended early
		159: true, 209: true, 210: true, // TIMEOUT_EXCEEDED, SOCKET_TIMEOUT, NETWORK_ERROR
		202: true, 241: true, 252: true, // TOO_MANY_SIMULTANEOUS_QUERIES, MEMORY_LIMIT_EXCEEDED, TOO_MANY_PARTS
		242: true, 319: true, 425: true, // TABLE_IS_READ_ONLY, UNKNOWN_STATUS_OF_INSERT, SYSTEM_ERROR
		394: true, 439: true, 999: true, // QUERY_WAS_CANCELLED, CANNOT_SCHEDULE_TASK, KEEPER_EXCEPTION
		1000: true, // POCO_EXCEPTION: the server's network layer
	}
	poisonCodes = map[int32]bool{
		6: true, 27: true, 38: true, 41: true, 53: true, 69: true, 70: true, 72: true,
		117: true, 321: true, 349: true, 395: true, 407: true,
	}
	fatalCodes = map[int32]bool{
		8: true, 16: true, 47: true, 60: true, 81: true, // missing column, table or database
		164: true, 192: true, 193: true, 194: true, 497: true, 516: true, // read-only, users and grants
	}
)

func classify(err error) class {
	var ex *ch.Exception
	if errors.As(err, &ex) {
		switch {
		case retryableCodes[ex.Code]:
			return retryable
		case poisonCodes[ex.Code]:
			return poison
		case fatalCodes[ex.Code]:
			return fatal
		}
		return unknown
	}
	var httpErr *ch.HTTPError
	if errors.As(err, &httpErr) && httpErr.StatusCode >= 500 {
		return retryable // a proxy or a restarting server
	}
	var netErr net.Error
	switch {
	case errors.As(err, &netErr), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, syscall.EPIPE):
		return retryable
	}
	return unknown
}
