#!/usr/bin/env bash
# Re-issues the example register from examples/steel-bracket with a throw-away key (run it from
# the repository root after the example inventory or its supplier declaration changes; the
# exchange tests fail while the register is stale). Keeps clients.toml; prints the new issuer DID
# for examples/register/README.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
pcf=${PCF:-target/debug/pcf}
dir=examples/register
key_dir=$(mktemp -d)
trap 'rm -rf "$key_dir"' EXIT
# Everything but this script, the README and the clients file is the register's or issued.
find "$dir" -mindepth 1 -maxdepth 1 ! -name regenerate.sh ! -name README.md ! -name clients.toml \
    -exec rm -rf {} +
mkdir -p "$dir/issued"
"$pcf" keygen --out "$key_dir/issuer.key" | grep 'issuer DID'
"$pcf" declare examples/steel-bracket/inventory.toml --product bracket --key "$key_dir/issuer.key" \
    --register "$dir" --out "$dir/issued/bracket-v1.json" --comment "first issue" >/dev/null
"$pcf" declare examples/steel-bracket/inventory.toml --product bracket --key "$key_dir/issuer.key" \
    --register "$dir" --out "$dir/issued/bracket-v2.json" \
    --supersedes "$dir/issued/bracket-v1.json" \
    --comment "reissued to correct the comment; supersedes the first issue" >/dev/null
"$pcf" register --register "$dir" verify
