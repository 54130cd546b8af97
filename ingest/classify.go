package ingest

import "github.com/rebatehq/rebate"

// class is what a failed flush calls for.
type class uint8

const (
	// retryable errors pass: back off and try again, for as long as it takes.
	retryable class = iota
	// poison means a row the store cannot take: split the batch to find it
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

// classify reads what the sink's domain error says to do.
func classify(err error) class {
	switch rebate.ErrorCode(err) {
	case rebate.EUNAVAIL:
		return retryable
	case rebate.EINVALID:
		return poison
	case rebate.EMISCONFIG:
		return fatal
	}
	return unknown
}
