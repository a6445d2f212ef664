#!/usr/bin/env bash
# Version 1 of the application: writes a user with an address every few milliseconds until
# STOP_FILE exists; appends each acknowledged write to ACKED and each failure to FAILED.
# Usage: app_v1.sh DATABASE STOP_FILE ACKED FAILED
set -u
database=$1 stop=$2 acked=$3 failed=$4
n=0
while [[ ! -e $stop ]]; do
  n=$((n + 1))
  if sqlite3 -cmd ".timeout 5000" "$database" \
    "INSERT INTO users (username, address_line_1) VALUES ('v1-$n', '$n V1 Road');" 2>>"$failed.log"; then
    echo "v1-$n|$n V1 Road" >>"$acked"
  else
    echo "v1-$n" >>"$failed"
  fi
  sleep 0.02
done
