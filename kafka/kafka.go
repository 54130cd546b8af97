// Package kafka holds the service's Kafka conventions and client set-up
// (franz-go): topic names, record keys, dead-letter records, connection
// options and the producer of events.
package kafka

import (
	"strconv"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Headers of a dead-letter record: why it was rejected and where it came from.
const (
	HeaderError     = "rebate-error"       // "field: reason", or just the reason
	HeaderField     = "rebate-error-field" // the contract field, empty for the whole record
	HeaderTopic     = "rebate-source-topic"
	HeaderPartition = "rebate-source-partition"
	HeaderOffset    = "rebate-source-offset"
)

// DeadLetter is the record that carries a rejected one to the dead-letter
// topic: its key and value byte for byte, the reason, and its origin.
func DeadLetter(topic string, src *kgo.Record, reason, field string) *kgo.Record {
	return &kgo.Record{
		Topic: topic,
		Key:   src.Key,
		Value: src.Value,
		Headers: append([]kgo.RecordHeader{
			{Key: HeaderError, Value: []byte(reason)},
			{Key: HeaderField, Value: []byte(field)},
			{Key: HeaderTopic, Value: []byte(src.Topic)},
			{Key: HeaderPartition, Value: []byte(strconv.Itoa(int(src.Partition)))},
			{Key: HeaderOffset, Value: []byte(strconv.FormatInt(src.Offset, 10))},
		}, src.Headers...),
	}
}

// Header returns the value of a record's header, or "".
func Header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}
