# MariaDB helpers shared by scripts/servers/mariadb and scripts/servers/galera (sourced, never run).
# shellcheck shell=bash
# A server directory DIR holds: my.cnf (server options), client.cnf (root's login, 0600),
# password (0600), data/, tmp/, sock, server.pid (the mariadbd we started) and mariadbd.log.

# How long a node may take to accept connections; a Galera joiner includes its state transfer.
MARIADB_START_TIMEOUT=${MARIADB_START_TIMEOUT:-120}

require_mariadb_installed() {
  local tool
  for tool in mariadbd mariadb-install-db mariadb mariadb-admin; do
    command -v "$tool" >/dev/null || die "$tool is not installed; run scripts/setup"
  done
}

# Prints the [mysqld] options every throwaway server shares: loopback only, no DNS, durability
# traded for speed, temporary files in DIR/tmp (made here). Galera adds its wsrep options.
write_base_server_options() {
  local dir=$1 port=$2
  mkdir -p "$dir/tmp"
  cat <<EOF
[mysqld]
datadir = $dir/data
tmpdir = $dir/tmp
socket = $dir/sock
pid-file = $dir/mariadbd.pid
log-error = $dir/mariadbd.log
port = $port
bind-address = 127.0.0.1
user = $(id -un)
skip-name-resolve
max_connections = 200
character_set_server = utf8mb4
collation_server = utf8mb4_unicode_ci
default_storage_engine = InnoDB
binlog_format = ROW
innodb_buffer_pool_size = 128M
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
innodb_use_native_aio = 0
sync_binlog = 0
EOF
}

# root's login for the client tools: mariadb --defaults-file=DIR/client.cnf.
write_client_options() {
  local dir=$1 password=$2
  (umask 077 && cat >"$dir/client.cnf" <<EOF
[client]
user = root
password = $password
socket = $dir/sock
EOF
  )
}

# Creates the system tables in DIR/data and gives root@localhost, root@127.0.0.1 and root@::1
# the password in DIR/password. Root logs in with that password, over TCP or the socket.
install_datadir() {
  local dir=$1 password setup_sql=$1/setup-root.sql
  password=$(<"$dir/password")
  # mariadb-install-db runs this after its own bootstrap; FLUSH PRIVILEGES loads the grant
  # tables so that ALTER USER works there. The file holds the password: 0600, removed below.
  (umask 077 && cat >"$setup_sql" <<EOF
FLUSH PRIVILEGES;
ALTER USER 'root'@'localhost' IDENTIFIED BY '$password';
ALTER USER 'root'@'127.0.0.1' IDENTIFIED BY '$password';
ALTER USER 'root'@'::1' IDENTIFIED BY '$password';
EOF
  )
  # The install also makes a passwordless root@<hostname>; skip-name-resolve makes it unusable,
  # but leave no passwordless root behind.
  local host
  host=$(hostname 2>/dev/null || true)
  if [[ -n $host && ! $host =~ ^(localhost|127\.0\.0\.1|::1)$ && $host != *"'"* ]]; then
    echo "DROP USER IF EXISTS 'root'@'$host';" >>"$setup_sql"
  fi
  say "mariadb-install-db in $dir/data"
  if ! mariadb-install-db --defaults-file="$dir/my.cnf" --user="$(id -un)" --skip-test-db \
    --skip-name-resolve --auth-root-authentication-method=normal --extra-file="$setup_sql" \
    >"$dir/install.log" 2>&1; then
    rm -f "$setup_sql"
    die_with_log "$dir/install.log" "mariadb-install-db failed in $dir/data"
  fi
  rm -f "$setup_sql"
}

# Starts mariadbd in the background, detached from our session and our stdout, with any extra
# options given (e.g. --wsrep-new-cluster). Returns at once; see wait_until_mariadb_answers.
launch_mariadbd() {
  local dir=$1
  shift
  setsid mariadbd --defaults-file="$dir/my.cnf" "$@" </dev/null >>"$dir/mariadbd.log" 2>&1 &
  # Our own record of the pid, written once: mariadbd rewrites its pid-file (truncate, then
  # write) while starting, and a poll that reads it at that moment would see no process.
  echo "$!" >"$dir/server.pid"
}

# True once root can run a query over the socket.
mariadb_answers() {
  local dir=$1
  mariadb --defaults-file="$dir/client.cnf" --connect-timeout=2 -Nse 'SELECT 1' >/dev/null 2>&1
}

# Polls until the server answers; fails at once (with its log) if its process exits.
wait_until_mariadb_answers() {
  local dir=$1 port=$2
  local deadline=$((SECONDS + MARIADB_START_TIMEOUT))
  until mariadb_answers "$dir"; do
    pidfile_alive "$dir/server.pid" || die_with_log "$dir/mariadbd.log" "mariadbd on port $port exited"
    ((SECONDS < deadline)) || die_with_log "$dir/mariadbd.log" \
      "mariadbd on port $port does not answer within ${MARIADB_START_TIMEOUT}s"
    sleep 0.2
  done
}

# Runs one query as root on the server of DIR and prints the bare result.
mariadb_query() {
  local dir=$1 sql=$2
  mariadb --defaults-file="$dir/client.cnf" --connect-timeout=2 -Nse "$sql"
}

# Stops the mariadbd of DIR (SIGTERM is a clean shutdown), waiting up to 60 s before SIGKILL.
stop_mariadbd() {
  local dir=$1
  pidfile_alive "$dir/server.pid" || return 0
  say "stopping mariadbd in $dir"
  stop_pidfile "$dir/server.pid" 60
}
