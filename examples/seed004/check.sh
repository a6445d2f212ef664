#!/usr/bin/env bash
# After the change: every acknowledged write of both versions must be there exactly once, in
# the new shape (the user, and the address in addresses). Prints what is missing; exit 1 if any.
# Usage: check.sh DATABASE ACKED...
set -u
database=$1
shift
missing=0 checked=0
present=$(sqlite3 "$database" "SELECT u.username || '|' || a.address_line_1 FROM users u
  JOIN addresses a ON a.user_id = u.id WHERE u.username LIKE 'v_-%';" | sort)
for acked in "$@"; do
  [[ -s $acked ]] || continue
  while read -r line; do
    checked=$((checked + 1))
    if ! grep -qxF "$line" <<<"$present"; then
      echo "lost: $line"
      missing=$((missing + 1))
    fi
  done <"$acked"
done
duplicates=$(sqlite3 "$database" "SELECT count(*) - count(DISTINCT username) FROM users;")
echo "$checked acknowledged writes checked: $missing lost, $duplicates duplicated"
((missing == 0 && duplicates == 0))
