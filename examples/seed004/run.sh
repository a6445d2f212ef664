#!/usr/bin/env bash
# The seed-004 story on a new SQLite file: version 1 of an application writes users with their
# address; `cutover change start` splits the addresses into their own table while it runs;
# version 2 writes users and addresses beside version 1; version 1 stops; `cutover change
# complete`; the probe, running all along, and a check of every acknowledged write say what the
# applications saw. Usage: run.sh CUTOVER_BINARY SCRATCH_DIR
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cutover=$1 scratch=$2
database=$scratch/seed004.db
url="sqlite://$database"

say() { printf '\nseed004: %s\n' "$*"; }

rm -f "$database" "$scratch"/v{1,2}.*
sqlite3 "$database" <"$here/schema.sql"
say "version 1 of the application is writing users with their address (20,000 users exist)"
"$cutover" probe "$url" --duration 14s --readers 1 --writers 1 --rate 50 \
  --json "$scratch/seed004-probe.json" --html "$scratch/seed004-probe.html" \
  >"$scratch/probe.out" 2>"$scratch/probe.err" &
probe=$!
"$here/app_v1.sh" "$database" "$scratch/v1.stop" "$scratch/v1.acked" "$scratch/v1.failed" &
v1=$!
sleep 2

say "running: cutover change start $url split_addresses.yaml"
"$cutover" change start "$url" "$here/split_addresses.yaml" --batch-size 250
say "version 2 starts beside version 1: it writes users, then their address in addresses"
"$here/app_v2.sh" "$database" "$scratch/v2.stop" "$scratch/v2.acked" "$scratch/v2.failed" &
v2=$!
sleep 4
say "version 1 is retired (its instances stop); version 2 carries on"
touch "$scratch/v1.stop"
wait "$v1"

say "running: cutover change complete $url"
"$cutover" change complete "$url"
sleep 3
touch "$scratch/v2.stop"
wait "$v2"
status=0
wait "$probe" || status=$?
cat "$scratch/probe.out"
((status == 0)) || { cat "$scratch/probe.err"; exit "$status"; }

v1_writes=$(wc -l <"$scratch/v1.acked") v2_writes=$(wc -l <"$scratch/v2.acked")
failed=0
for log in "$scratch"/v{1,2}.failed; do
  [[ -e $log ]] && failed=$((failed + $(wc -l <"$log")))
done
say "the applications: version 1 wrote $v1_writes users, version 2 wrote $v2_writes users" \
  "with addresses; $failed writes failed"
"$here/check.sh" "$database" "$scratch/v1.acked" "$scratch/v2.acked"
echo "schema now:"
sqlite3 "$database" ".schema users" ".schema addresses" | sed 's/^/  /'
((failed == 0))
