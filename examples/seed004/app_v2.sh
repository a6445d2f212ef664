#!/usr/bin/env bash
# Version 2 of the application: writes a user, then the user's address in the new addresses
# table, in one transaction, until STOP_FILE exists; logs acknowledged writes and failures.
# Usage: app_v2.sh DATABASE STOP_FILE ACKED FAILED
set -u
database=$1 stop=$2 acked=$3 failed=$4
n=0
while [[ ! -e $stop ]]; do
  n=$((n + 1))
  if sqlite3 -cmd ".timeout 5000" "$database" "BEGIN IMMEDIATE;
      INSERT INTO users (username) VALUES ('v2-$n');
      INSERT INTO addresses (user_id, address_line_1) VALUES (last_insert_rowid(), '$n V2 Avenue');
      COMMIT;" 2>>"$failed.log"; then
    echo "v2-$n|$n V2 Avenue" >>"$acked"
  else
    echo "v2-$n" >>"$failed"
  fi
  sleep 0.02
done
