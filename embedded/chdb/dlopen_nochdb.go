//go:build nochdb

package chdb

import "errors"

// Load fails: this binary was built for a ClickHouse server only. purego
// makes a binary dynamically linked, which a scratch container cannot run.
func Load(path string) (*Lib, error) {
	return nil, errors.New("load engine: this binary is built without the embedded engine (-tags nochdb): " +
		"use a ClickHouse server (--clickhouse-addr, REBATE_CLICKHOUSE_ADDR) or a build without the tag")
}
