package ingest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/rebatehq/rebate"
	"github.com/rebatehq/rebate/clickhouse"
	"github.com/rebatehq/rebate/kafka"
)

// The baseline: ClickHouse's Kafka table engine reading the same topic into
// the same schema. A Kafka table with the contract's columns (rebate.Fields,
// so it follows the contract) parses each record as JSONEachRow; a
// materialized view writes what it reads into events, whose views do the
// rest as for any insert. It has no guard, no dead letters and no
// deduplication token, and alone it prices nothing (no Materialize): less
// work than rebate ingest does. kafka-priced adds the pricing
// (bench_pricer_test.go). Its DDL runs on
// the helper engine's own connection (benchhelper_test.go): the endpoint's
// fence refuses the Kafka engine.

const kafkaEngineGroup = "rebate-kafka-engine"

// kafkaTuned are the settings of the tuned baseline: blocks as big as the
// ingester's batches, flushed every 250 ms like its default flush interval
// (the default is stream_flush_interval_ms, 7.5 s), one consumer per core.
var kafkaTuned = map[string]string{
	"kafka_num_consumers":       "2",
	"kafka_max_block_size":      "100000",
	"kafka_poll_max_batch_size": "100000",
	"kafka_flush_interval_ms":   "250",
	"kafka_poll_timeout_ms":     "100",
}

// kafkaEngine starts the Kafka table engine with settings (nil: defaults).
func kafkaEngine(settings map[string]string) func(*testing.B, string, kafka.Config, *engineProc, clickhouse.Config) consuming {
	return func(b *testing.B, _ string, kc kafka.Config, eng *engineProc, cfg clickhouse.Config) consuming {
		b.Helper()
		var cols, sel []string
		for _, f := range rebate.Fields {
			cols = append(cols, fmt.Sprintf("`%s` %s", f.Name, f.Column))
			sel = append(sel, "`"+f.Name+"`")
		}
		set := []string{
			"kafka_broker_list = '" + strings.Join(kc.Brokers, ",") + "'",
			"kafka_topic_list = '" + topic + "'",
			"kafka_group_name = '" + kafkaEngineGroup + "'",
			"kafka_format = 'JSONEachRow'",
			// The contract's times are RFC 3339 strings or epoch milliseconds.
			"date_time_input_format = 'best_effort'",
		}
		for k, v := range settings {
			set = append(set, k+" = "+v)
		}
		db := "`" + cfg.Database + "`"
		eng.direct(b, fmt.Sprintf("CREATE TABLE %s.kq (%s) ENGINE = Kafka SETTINGS %s", db, strings.Join(cols, ", "), strings.Join(set, ", ")))
		eng.direct(b, fmt.Sprintf("CREATE MATERIALIZED VIEW %s.kq_mv TO %s.events AS SELECT %s, toInt32(_partition) AS kafka_partition, "+
			"toInt64(_offset) AS kafka_offset FROM %s.kq", db, db, strings.Join(sel, ", "), db))
		return kafkaRun{eng: eng, db: db}
	}
}

type kafkaRun struct {
	eng *engineProc
	db  string
}

// cpu: the Kafka engine consumes inside the engine's process.
func (kafkaRun) cpu(*testing.B) time.Duration { return 0 }

// stop drops the view and the Kafka table: consuming stops.
func (k kafkaRun) stop(b *testing.B) int64 {
	k.eng.direct(b, "DROP VIEW "+k.db+".kq_mv")
	k.eng.direct(b, "DROP TABLE "+k.db+".kq")
	return 0
}
