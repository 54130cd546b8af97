#!/usr/bin/env bash
# Installs the embedded ClickHouse engine (libchdb.so) into the project's cache.
#
# The engine is ClickHouse itself built as a shared library, published on the
# npm registry. We fetch it with `npm pack` (no node_modules, no install
# scripts), check the tarball against a pinned sha512 so a changed upload
# fails loudly, and extract only libchdb.so. Running it again is a no-op.
#
# Environment:
#   REBATE_CHDB_LIB    use this library instead; nothing is fetched
#   REBATE_CACHE_DIR   cache folder (default: <repo>/.cache)
set -euo pipefail

PACKAGE="@chdb/lib-linux-x64-gnu"
VERSION="26.5.3"
# sha512 of the npm tarball, as npm's own "integrity" field and as hex.
INTEGRITY="sha512-fPrLmRt5Moor9yGz4mazbrNje4t7X9KB2mTGkXFWRxRBs2iKy8yh6jx11xsa0Qr3iDFMU/yHqd+bVdYJXu3QaQ=="
SHA512_HEX="7cfacb991b79328a2bf721b3e266b36eb3637b8b7b5fd281da64c6917156471441b3688acbcca1ea3c75d71b1ad10af788314c53fc87a9df9b55d6095eedd069"

die() { echo "install-engine: $*" >&2; exit 1; }

if [[ -n "${REBATE_CHDB_LIB:-}" ]]; then
  [[ -f "$REBATE_CHDB_LIB" ]] || die "REBATE_CHDB_LIB=$REBATE_CHDB_LIB does not exist"
  exit 0
fi

os="$(uname -s)"; arch="$(uname -m)"
if [[ "$os" != "Linux" || ( "$arch" != "x86_64" && "$arch" != "amd64" ) ]]; then
  die "the embedded engine is published for linux-x64 only (this is $os/$arch).
  Point the service at a real ClickHouse instead (REBATE_CLICKHOUSE_ADDR, see README),
  or set REBATE_CHDB_LIB to a libchdb.so built for this platform."
fi

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${REBATE_CACHE_DIR:-$root/.cache}"
dest="$cache/chdb/$VERSION"
lib="$dest/libchdb.so"
stamp="$dest/libchdb.so.sha512"

if [[ -f "$lib" && -f "$stamp" && "$(cat "$stamp")" == "$SHA512_HEX" ]]; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  if [[ "${CI:-}" == "true" && "$(id -u)" == "0" ]] && command -v apt-get >/dev/null 2>&1; then
    echo "install-engine: npm is missing; installing Debian's npm (CI)" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >&2
  else
    die "npm is needed to fetch the engine ($PACKAGE@$VERSION) and was not found on PATH.
  Install Node.js with npm (Debian: apt-get install npm), or set REBATE_CHDB_LIB
  to an existing libchdb.so."
  fi
fi

mkdir -p "$dest"
# Two `make test` runs at once must not both write the library.
exec 9>"$dest/.lock"
flock 9
if [[ -f "$lib" && -f "$stamp" && "$(cat "$stamp")" == "$SHA512_HEX" ]]; then
  exit 0
fi

tmp="$(mktemp -d "$dest/.fetch.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "install-engine: fetching $PACKAGE@$VERSION (about 170 MB, once)" >&2
(cd "$tmp" && npm pack "$PACKAGE@$VERSION" --silent >/dev/null) \
  || die "npm pack $PACKAGE@$VERSION failed (is the npm registry reachable?)"
tgz="$(ls "$tmp"/*.tgz 2>/dev/null | head -n1)"
[[ -n "$tgz" ]] || die "npm pack produced no tarball"

got="$(sha512sum "$tgz" | cut -d' ' -f1)"
if [[ "$got" != "$SHA512_HEX" ]]; then
  die "checksum mismatch for $PACKAGE@$VERSION
  want $INTEGRITY
  got  sha512 hex $got
  The published tarball changed; refusing to use it."
fi

tar -xzf "$tgz" -C "$tmp" package/libchdb.so || die "extract libchdb.so from $tgz failed"
mv -f "$tmp/package/libchdb.so" "$lib"
echo "$SHA512_HEX" > "$stamp"
echo "install-engine: installed $lib" >&2
