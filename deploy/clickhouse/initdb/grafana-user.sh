#!/bin/bash
# Runs once, when the ClickHouse container starts on an empty data volume:
# Grafana's panels get a user that can read the service's tables and change
# nothing (readonly = 2 still lets the plugin set query settings). The
# server may change thread priorities (cap_add SYS_NICE, so that the
# service's writes yield to reads): the user may not raise its own above
# normal (MIN 0 on the nice value, under both its names).
set -euo pipefail
clickhouse client --user "${CLICKHOUSE_USER}" --password "${CLICKHOUSE_PASSWORD}" --multiquery <<SQL
CREATE USER IF NOT EXISTS ${GRAFANA_CLICKHOUSE_USER} IDENTIFIED WITH sha256_password BY '${GRAFANA_CLICKHOUSE_PASSWORD}'
    SETTINGS readonly = 2, os_thread_priority MIN 0, os_threads_nice_value_query MIN 0;
GRANT SELECT ON rebate.* TO ${GRAFANA_CLICKHOUSE_USER};
SQL
