#!/usr/bin/env bash
# Installs the Debian packages the tests use, when they are missing:
#   kcat      a Kafka client written elsewhere (librdkafka), producing to the
#             in-process broker in the ingester's tests.
#   chromium  a real browser for the live page's test (headless), with a font
#             so that its screenshots show text.
#   prometheus for promtool, which checks and unit-tests the alert rules
#             (deploy/prometheus/alerts.yml).
# Needs root and apt-get; without them it says what is missing and the tests
# that need it skip (under CI=true they fail instead).
set -euo pipefail

missing=()
command -v kcat >/dev/null 2>&1 || missing+=(kcat)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v promtool >/dev/null 2>&1 || missing+=(prometheus)
[[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]] || missing+=(fonts-dejavu-core)
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ "$(id -u)" != "0" ]] || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: missing ${missing[*]}; install them (Debian: apt-get install ${missing[*]})" >&2
  exit 0
fi
echo "install-test-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
  apt-get update -qq >&2
  apt-get install -y -qq "${missing[@]}" >&2
fi
