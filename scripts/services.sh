#!/usr/bin/env bash
# Starts and stops throwaway PostgreSQL and Redis servers for tests and `make run`: temporary
# data directories, free loopback ports, run as an unprivileged user when we are root (the
# PostgreSQL server refuses root).
#   scripts/services.sh start-postgres DIR   → prints DATABASE_URL
#   scripts/services.sh stop-postgres DIR
set -euo pipefail

pg_bin() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
  echo "$bin"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Runs a command as the unprivileged service user when we are root.
as_service_user() {
  if [ "$(id -u)" -eq 0 ]; then
    id agwtest >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin agwtest
    runuser -u agwtest -- "$@"
  else
    "$@"
  fi
}

start_postgres() {
  local dir=$1 bin port
  bin=$(pg_bin)
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && { id agwtest >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin agwtest; chown agwtest "$dir"; }
  chmod 700 "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    as_service_user "$bin/initdb" -D "$dir/data" -U agw --auth=trust --encoding=UTF8 --locale=C >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
  fi
  port=$(cat "$dir/port" 2>/dev/null || free_port)
  echo "$port" >"$dir/port"
  as_service_user "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null \
    || { cat "$dir/server.log" >&2; exit 1; }
  echo "postgresql://agw@127.0.0.1:$port/postgres"
}

stop_postgres() {
  local dir=$1
  [ -f "$dir/data/PG_VERSION" ] || return 0
  as_service_user "$(pg_bin)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

cmd=${1:-}
shift || true
case "$cmd" in
  start-postgres) start_postgres "$@" ;;
  stop-postgres) stop_postgres "$@" ;;
  *) echo "usage: $0 start-postgres|stop-postgres DIR" >&2; exit 2 ;;
esac
