# Shared helpers for the throwaway-server scripts in scripts/servers/ (sourced, never run).
# shellcheck shell=bash

# The calling script's name, for messages ("postgres: ...").
CUTOVER_SCRIPT_NAME=$(basename "$0")

# Closes every file descriptor above 2 that this script inherited, so that no server it starts
# keeps a caller's pipe open: a caller that reads our output to its end would wait forever.
# (Bash keeps the script itself open on fd 255, close-on-exec; that one stays.)
close_inherited_fds() {
  local fd
  for fd in "/proc/$BASHPID/fd/"*; do
    fd=${fd##*/}
    if [[ $fd =~ ^[0-9]+$ ]] && ((fd > 2 && fd < 255)); then
      eval "exec $fd>&-"
    fi
  done
}
close_inherited_fds

# Prints a progress line on stderr; stdout is reserved for results (URLs, export lines).
say() { printf '%s: %s\n' "$CUTOVER_SCRIPT_NAME" "$*" >&2; }

# A command that die() runs before exiting, e.g. to stop a half-started server. Set it with
# on_failure_run once something exists that a failure must not leave behind.
CLEANUP_ON_DIE=()
on_failure_run() { CLEANUP_ON_DIE=("$@"); }

# Prints an error on stderr, runs the cleanup command if one is set, and exits 1.
die() {
  printf '%s: error: %s\n' "$CUTOVER_SCRIPT_NAME" "$*" >&2
  if ((${#CLEANUP_ON_DIE[@]} > 0)); then
    local cleanup=("${CLEANUP_ON_DIE[@]}")
    CLEANUP_ON_DIE=()
    "${cleanup[@]}" >/dev/null 2>&1 || true
  fi
  exit 1
}

# Prints the last lines of a server log on stderr, so a failure explains itself.
show_log_tail() {
  local log=$1 lines=${2:-20}
  if [[ -s $log ]]; then
    printf '%s: last %s lines of %s:\n' "$CUTOVER_SCRIPT_NAME" "$lines" "$log" >&2
    tail -n "$lines" "$log" | sed 's/^/    /' >&2
  fi
}

# Like die, but first shows the tail of the given log.
die_with_log() {
  local log=$1
  shift
  show_log_tail "$log"
  die "$@"
}

# A fresh random password: 32 hex characters, safe in URLs, pgpass files and option files.
random_password() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# Writes a password to FILE, readable by its owner only, unless FILE already holds one.
ensure_password_file() {
  local file=$1
  if [[ ! -s $file ]]; then
    (umask 077 && random_password >"$file")
  fi
  chmod 600 "$file"
}

# True when something already listens on 127.0.0.1:PORT.
port_in_use() {
  local port=$1
  (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

# Fails unless PORT is a number in the unprivileged range.
require_port() {
  local port=$1 what=${2:-port}
  if ! [[ $port =~ ^[0-9]+$ ]] || ((port < 1024 || port > 65535)); then
    die "$what must be a number between 1024 and 65535, got '$port'"
  fi
}

# Fails when something already listens on PORT, naming the knob to turn.
require_free_port() {
  local port=$1
  if port_in_use "$port"; then
    die "port $port on 127.0.0.1 is already in use; pick another port" \
      "(scripts/servers/up: set CUTOVER_PORT_BASE)"
  fi
}

# Runs COMMAND repeatedly until it succeeds or TIMEOUT seconds pass; returns 1 on timeout.
# Polls every 0.2 s: servers come up in well under a second per step, so this stays responsive.
wait_until() {
  local timeout=$1
  shift
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}

# True while the process whose id is in PIDFILE is alive.
pidfile_alive() {
  local pidfile=$1 pid
  [[ -s $pidfile ]] || return 1
  pid=$(<"$pidfile")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null
}

# Stops the process in PIDFILE: SIGTERM, then SIGKILL if it has not exited after TIMEOUT seconds.
stop_pidfile() {
  local pidfile=$1 timeout=${2:-30} pid
  pidfile_alive "$pidfile" || return 0
  pid=$(<"$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_until "$timeout" bash -c "! kill -0 $pid"; then
    say "process $pid did not stop within ${timeout}s; killing it"
    kill -KILL "$pid" 2>/dev/null || true
    wait_until 5 bash -c "! kill -0 $pid" || true
  fi
  rm -f "$pidfile"
}

# Makes DIR (absolute path printed on stdout) if needed.
make_absolute_dir() {
  local dir=$1
  mkdir -p "$dir" || die "cannot create directory $dir"
  (cd "$dir" && pwd -P)
}

# Prints the usage text given on stdin and exits: 0 when asked for with --help, else 2.
usage_exit() {
  local status=$1
  if ((status == 0)); then cat; else cat >&2; fi
  exit "$status"
}
