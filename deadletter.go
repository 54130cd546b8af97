package rebate

import (
	"strings"
	"time"
)

// DeadLetter is a record the ingester could not count, as the dead-letter
// topic holds it: the original's key and value (or a prefix of the value,
// when it was cut to fit the topic), why it was refused, and where it
// came from (docs/delivery.md).
type DeadLetter struct {
	Partition int32 // in the dead-letter topic
	Offset    int64
	Time      time.Time // when it was dead-lettered
	Key       []byte
	Value     []byte
	Reason    string // "field: reason", or the reason
	Field     string // the contract field at fault; clickhouse for a row the store refused
	// The original record: topic, partition and offset.
	SourceTopic     string
	SourcePartition int32
	SourceOffset    int64
	// Truncated says what was cut to fit the topic (value, headers, key);
	// "" when the dead letter is the whole record. A cut one cannot be
	// replayed: its original is in the source topic, while retention keeps it.
	Truncated      string
	OriginalSize   int64  // bytes of the original value, when cut
	OriginalSHA256 string // of the original value, when cut
	Headers        []Header
}

// Header is a record header.
type Header struct{ Key, Value string }

// DeadLetterFilter selects dead letters.
type DeadLetterFilter struct {
	// Reason matches the field at fault exactly, or any part of the
	// reason (case does not matter); "" matches all.
	Reason string
	Since  time.Time // dead-lettered at or after; zero: all
	Limit  int       // at most this many; 0: no limit
}

// Match reports whether d is selected (Limit aside).
func (f DeadLetterFilter) Match(d DeadLetter) bool {
	if !f.Since.IsZero() && d.Time.Before(f.Since) {
		return false
	}
	if f.Reason == "" || d.Field == f.Reason {
		return true
	}
	return strings.Contains(strings.ToLower(d.Reason), strings.ToLower(f.Reason))
}

// Replay is what a replay of dead letters did (or, dry, would do).
type Replay struct {
	DryRun   bool
	Selected int // dead letters the filter selected
	Replayed int // produced to the events topic (would be, when dry)
	Skipped  []SkippedLetter
}

// SkippedLetter is a selected dead letter that was not replayed, and why.
type SkippedLetter struct {
	Partition int32
	Offset    int64
	Why       string
}
