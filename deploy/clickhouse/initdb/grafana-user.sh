#!/bin/bash
# Runs once, when the ClickHouse container starts on an empty data volume:
# Grafana's panels get a user that can read the service's tables and change
# nothing (readonly = 2 still lets the plugin set query settings).
set -euo pipefail
clickhouse client --user "${CLICKHOUSE_USER}" --password "${CLICKHOUSE_PASSWORD}" --multiquery <<SQL
CREATE USER IF NOT EXISTS ${GRAFANA_CLICKHOUSE_USER} IDENTIFIED WITH sha256_password BY '${GRAFANA_CLICKHOUSE_PASSWORD}' SETTINGS readonly = 2;
GRANT SELECT ON rebate.* TO ${GRAFANA_CLICKHOUSE_USER};
SQL
