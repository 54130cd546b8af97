package kafka

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Headers of a dead letter cut to fit the dead-letter topic's size limit:
// what was cut, and how to recognise the original (still in the source
// topic at the offset of HeaderOffset, for as long as its retention keeps it).
const (
	HeaderTruncated      = "rebate-truncated"       // what was cut: value, headers (the source's own), key; comma-separated
	HeaderOriginalSize   = "rebate-original-size"   // bytes of the original value
	HeaderOriginalSHA256 = "rebate-original-sha256" // hex SHA-256 of the original value
)

// BatchOverhead is what a record batch adds around one record (the v2 batch
// header, 61 bytes, and the length franz-go counts), with room to spare. A
// record of RecordBytes(r) <= limit-BatchOverhead fits a batch of limit bytes.
const BatchOverhead = 128

// RecordBytes is at most what r takes in a record batch, every varint
// counted at its widest.
func RecordBytes(r *kgo.Record) int {
	n := 5 + 1 + 10 + 5 + // length, attributes, timestamp and offset deltas
		5 + len(r.Key) + 5 + len(r.Value) + 5 // key, value, header count
	for _, h := range r.Headers {
		n += 5 + len(h.Key) + 5 + len(h.Value)
	}
	return n
}

// maxReason bounds the reason of a dead letter that has to be cut to the bone.
const maxReason = 256

// DeadLetterWithin is DeadLetter for a topic that takes record batches of at
// most limit bytes. A dead letter that fits is the rejected record byte for
// byte; one that does not (a record just under the source topic's limit
// plus the dead-letter headers, or a dead-letter topic with a smaller limit)
// keeps as much of the value as fits, with the headers of the cut
// (HeaderTruncated, HeaderOriginalSize, HeaderOriginalSHA256). If even an
// empty value does not fit, the source's own headers go, then the key (and
// the reason is cut to 256 bytes). A rejected record must never stop the
// good ones behind it, so its dead letter is cut rather than refused.
func DeadLetterWithin(topic string, src *kgo.Record, reason, field string, limit int) *kgo.Record {
	dl := DeadLetter(topic, src, reason, field)
	room := limit - BatchOverhead
	if RecordBytes(dl) <= room {
		return dl
	}
	sum := sha256.Sum256(src.Value)
	build := func(value, key []byte, reason string, withSource bool, cut string) *kgo.Record {
		r := DeadLetter(topic, &kgo.Record{Topic: src.Topic, Partition: src.Partition, Offset: src.Offset, Key: key}, reason, field)
		r.Headers = append(r.Headers,
			kgo.RecordHeader{Key: HeaderTruncated, Value: []byte(cut)},
			kgo.RecordHeader{Key: HeaderOriginalSize, Value: []byte(strconv.Itoa(len(src.Value)))},
			kgo.RecordHeader{Key: HeaderOriginalSHA256, Value: []byte(hex.EncodeToString(sum[:]))})
		if withSource {
			r.Headers = append(r.Headers, src.Headers...)
		}
		r.Value = value
		return r
	}
	// Sizes are reckoned with the longest list of cuts, so the real one fits.
	const allCuts = "value,headers,key"
	key, withSource := src.Key, true
	if RecordBytes(build(nil, key, reason, withSource, allCuts)) > room {
		withSource = false
	}
	if RecordBytes(build(nil, key, reason, withSource, allCuts)) > room {
		key = nil
		if len(reason) > maxReason {
			reason = reason[:maxReason]
		}
	}
	value := src.Value[:min(max(0, room-RecordBytes(build(nil, key, reason, withSource, allCuts))), len(src.Value))]
	var cut []string
	if len(value) < len(src.Value) {
		cut = append(cut, "value")
	}
	if !withSource && len(src.Headers) > 0 {
		cut = append(cut, "headers")
	}
	if key == nil && len(src.Key) > 0 {
		cut = append(cut, "key")
	}
	return build(value, key, reason, withSource, strings.Join(cut, ","))
}
