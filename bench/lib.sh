# shellcheck shell=bash
# shellcheck disable=SC2034  # PG_NOTE, GW_PID, ... are read by the scripts that source this file
# Helpers shared by bench/mock_vs_nginx.sh, bench/auth_overhead.sh and bench/proxy_vs_nginx.sh
# (sourced, not run).
#
# A script sets BENCH_NAME, sources this file and calls bench_init. Every process started through
# these helpers is remembered and stopped on exit (normal end, error, Ctrl-C, TERM), and the
# temporary directory is removed.

BENCH_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$BENCH_LIB_DIR/.." && pwd)

AGW_BIN=${AGW_BIN:-$REPO_DIR/build/ai-gateway}  # a relative AGW_BIN is taken from the current directory
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
WRK_BIN=${WRK_BIN:-$(command -v wrk || true)}
CURL_BIN=${CURL_BIN:-$(command -v curl || true)}
WRK_LUA="$BENCH_LIB_DIR/wrk_request.lua"

die() { echo "${BENCH_NAME:-bench}: $*" >&2; exit 1; }

WORK=""
RAW_DIR=""
WRK_PID=""
PG_DIR=""
BENCH_PIDS=()          # processes to stop on exit, in start order
declare -A BENCH_PID_NAME=()

# bench_init: checks the tools, makes the temporary and results directories, installs the traps.
bench_init() {
  [[ $AGW_BIN == /* ]] || AGW_BIN="$PWD/$AGW_BIN"
  [[ -x $AGW_BIN ]] || die "gateway binary not found: $AGW_BIN (build it first, or set AGW_BIN)"
  [[ -x $NGINX_BIN ]] || die "nginx not found (apt-get install nginx-light, or set NGINX_BIN)"
  [[ -n $WRK_BIN && -x $WRK_BIN ]] || die "wrk not found (apt-get install wrk, or set WRK_BIN)"
  [[ -n $CURL_BIN && -x $CURL_BIN ]] || die "curl not found (apt-get install curl)"
  [[ -f $WRK_LUA ]] || die "missing $WRK_LUA"
  [[ ${ROUNDS:-1} =~ ^[1-9][0-9]*$ && ${DURATION:-1} =~ ^[1-9][0-9]*$ && ${WARMUP:-0} =~ ^[0-9]+$ ]] ||
    die "ROUNDS and DURATION must be positive integers, WARMUP a non-negative integer"

  WORK=$(mktemp -d "${TMPDIR:-/tmp}/agw-$BENCH_NAME.XXXXXX") || die "mktemp failed"
  chmod 711 "$WORK"  # PostgreSQL runs as an unprivileged user when we are root
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM

  if [[ -z ${RESULTS_DIR+x} ]]; then
    RESULTS_DIR="$REPO_DIR/bench/results/$BENCH_NAME-$(date -u +%Y%m%dT%H%M%SZ)"
  fi
  if [[ -n $RESULTS_DIR ]]; then
    mkdir -p "$RESULTS_DIR" || die "cannot create RESULTS_DIR $RESULTS_DIR"
    RAW_DIR=$RESULTS_DIR
  else
    RAW_DIR="$WORK/raw"
    mkdir -p "$RAW_DIR"
  fi
  # wrk at 1,000 connections and the servers behind it need descriptors.
  ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
}

bench_track() {  # pid name: stop this process on exit
  BENCH_PIDS+=("$1")
  BENCH_PID_NAME[$1]=$2
}

pid_of() {  # name → the pid bench_track remembered under it
  local p
  for p in "${BENCH_PIDS[@]}"; do [[ ${BENCH_PID_NAME[$p]} == "$1" ]] && { echo "$p"; return; }; done
}

# Stops one process by id: TERM, up to 5 s, then KILL. nginx masters first lose their workers
# (by parent id) so that a KILLed master leaves none behind.
stop_pid() {
  local pid=$1 child
  kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; return 0; }
  kill -TERM "$pid" 2>/dev/null
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    for child in $(ps -o pid= --ppid "$pid" 2>/dev/null); do kill -KILL "$child" 2>/dev/null; done
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null
  return 0
}

# shellcheck disable=SC2317  # invoked by the traps
bench_cleanup() {
  local rc=$? i
  trap - EXIT INT TERM
  [[ -n $WRK_PID ]] && { kill "$WRK_PID" 2>/dev/null; wait "$WRK_PID" 2>/dev/null; }
  for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${BENCH_PIDS[i]}"; done
  [[ -n $PG_DIR ]] && "$REPO_DIR/scripts/services.sh" stop-postgres "$PG_DIR" >/dev/null 2>&1
  [[ -n $WORK ]] && rm -rf "$WORK"
  exit "$rc"
}

free_port() {
  if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
    return
  fi
  local port used
  used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 40000))
    grep -qx "$port" <<<"$used" || { echo "$port"; return; }
  done
  die "no free port found"
}

wait_http() {  # url pid: wait until the URL answers (any status), or the process dies
  local url=$1 pid=$2
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    "$CURL_BIN" -s -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL (scripts/services.sh: throwaway cluster, fsync off), unless BENCH_DATABASE_URL.
DATABASE_URL_USED=""
PG_NOTE=""
start_postgres() {
  if [[ -n ${BENCH_DATABASE_URL:-} ]]; then
    DATABASE_URL_USED=$BENCH_DATABASE_URL
    PG_NOTE="PostgreSQL from BENCH_DATABASE_URL"
    return
  fi
  PG_DIR="$WORK/pg"
  DATABASE_URL_USED=$("$REPO_DIR/scripts/services.sh" start-postgres "$PG_DIR" 2>"$WORK/pg-start.err") ||
    { cat "$WORK/pg-start.err" >&2; die "PostgreSQL did not start"; }
  local port=${DATABASE_URL_USED##*:}
  PG_NOTE="throwaway PostgreSQL (scripts/services.sh, fsync off) on :${port%%/*}"
}

# ---------------------------------------------------------------------------------------------
# Gateway. start_gateway NAME PORT [KEY=VALUE...]: env -i (nothing of the caller's environment),
# an empty working directory (no .env), access log off, warnings only, the database above.
declare -A GW_PID=()
gateway_env() {  # port [KEY=VALUE...] → GW_ENV
  local port=$1
  shift
  GW_ENV=(PATH=/usr/local/bin:/usr/bin:/bin HOME="$WORK/gw-home" HOST=127.0.0.1 PORT="$port"
          IO_THREADS="${IO_THREADS:-2}" ACCESS_LOG=false LOG_LEVEL=warn)
  [[ -n $DATABASE_URL_USED ]] && GW_ENV+=(DATABASE_URL="$DATABASE_URL_USED")
  GW_ENV+=("$@")
  # shellcheck disable=SC2206  # word splitting of KEY=VALUE pairs is intended
  GW_ENV+=(${AGW_EXTRA_ENV:-})
}
start_gateway() {
  local name=$1 port=$2
  shift 2
  mkdir -p "$WORK/gw-home"
  gateway_env "$port" "$@"
  (cd "$WORK/gw-home" && exec env -i "${GW_ENV[@]}" "$AGW_BIN" serve) \
    >"$RAW_DIR/gateway-$name.log" 2>&1 &
  local pid=$!
  bench_track "$pid" "gateway-$name"
  wait_http "http://127.0.0.1:$port/healthz" "$pid" ||
    { cat "$RAW_DIR/gateway-$name.log" >&2; die "the gateway ($name) did not start"; }
  GW_PID[$name]=$pid
}
create_key() {  # → BENCH_KEY (unless the caller brought one)
  [[ -n ${BENCH_KEY:-} ]] && return
  local out rc
  gateway_env 0
  out=$(cd "$WORK/gw-home" && env -i "${GW_ENV[@]}" "$AGW_BIN" create-key --name bench \
          --rpm 0 --tpm 0 --json 2>&1)
  rc=$?
  ((rc == 0)) || die "\`ai-gateway create-key --json\` exited $rc: ${out:0:300}"
  BENCH_KEY=$(sed -n 's/.*"key" *: *"\([^"]*\)".*/\1/p' <<<"$out" | head -1)
  [[ -n $BENCH_KEY ]] || die "no \"key\" in create-key's output"
}
peak_rss_kb() {  # pid → VmHWM in kB (peak resident set), or "?"
  sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status" 2>/dev/null | grep . || echo "?"
}

# ---------------------------------------------------------------------------------------------
# nginx. nginx_quote TEXT: for an nginx single-quoted string (needs the geo $agw_dollar below).
nginx_quote() {
  local s=${1//\\/\\\\}
  s=${s//\'/\\\'}
  printf '%s' "${s//\$/\$\{agw_dollar\}}"
}
# nginx_http_common: the http{} lines every instance shares (temp paths under its prefix).
nginx_http_common() {  # prefix
  cat <<EOF
  access_log off;
  server_tokens off;
  client_body_temp_path $1/tmp/body;
  proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  geo \$agw_dollar { default "\$"; }
EOF
}
nginx_main_common() {  # prefix workers
  [[ $EUID -eq 0 ]] && echo "user root;"
  cat <<EOF
daemon off;
master_process on;
worker_processes $2;
worker_rlimit_nofile 20000;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 8192; }
EOF
}
# start_nginx NAME PREFIX CHECK_URL: PREFIX/nginx.conf must exist; logs under PREFIX/logs.
start_nginx() {
  local name=$1 prefix=$2 url=$3 pid
  mkdir -p "$prefix/logs" "$prefix/tmp"
  "$NGINX_BIN" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" -t -q \
    2>"$prefix/nginx-t.txt" ||
    { cat "$prefix/nginx-t.txt" "$prefix/logs/error.log" >&2 2>/dev/null; die "nginx ($name) rejected its configuration"; }
  "$NGINX_BIN" -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/logs/error.log" \
    >"$RAW_DIR/nginx-$name.log" 2>&1 &
  pid=$!
  bench_track "$pid" "nginx-$name"
  wait_http "$url" "$pid" || { cat "$prefix/logs/error.log" >&2; die "nginx ($name) did not start"; }
}

# ---------------------------------------------------------------------------------------------
# CPU accounting of the server processes: utime+stime ticks summed over PIDs (and, for an nginx
# master, its workers).
CLK_TCK=$(getconf CLK_TCK 2>/dev/null || echo 100)
server_pids() {  # pid... → the pids and their children
  local p
  for p in "$@"; do echo "$p"; ps -o pid= --ppid "$p" 2>/dev/null; done
}
cpu_ticks() {  # pid... → utime+stime ticks summed (their threads included)
  local p t=0 v
  for p in "$@"; do
    v=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null) && t=$((t + v))
  done
  echo "$t"
}

# Waits SETTLE seconds (default 1) before a measured run, so that the previous run's connection
# teardown (up to 1,000 sockets) does not land in it.
settle() { sleep "${SETTLE:-1}"; }

# ---------------------------------------------------------------------------------------------
# wrk. run_wrk OUT THREADS CONNECTIONS SECONDS URL METHOD [BODY] [KEY]
# With CPU_PIDS set (pids), also writes OUT.cpu: "ticks CLK_TCK" used by those processes.
run_wrk() {
  local before=""
  # shellcheck disable=SC2086  # CPU_PIDS is a list of pids
  [[ -n ${CPU_PIDS:-} ]] && before=$(cpu_ticks $CPU_PIDS)
  AGW_BENCH_METHOD=$6 AGW_BENCH_BODY=${7:-} AGW_BENCH_KEY=${8:-} \
    "$WRK_BIN" -t"$2" -c"$3" -d"${4}s" --timeout 5s --latency -s "$WRK_LUA" "$5" >"$1" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID"
  WRK_PID=""
  # shellcheck disable=SC2086
  [[ -n $before ]] && echo "$(($(cpu_ticks $CPU_PIDS) - before)) $CLK_TCK" >"$1.cpu"
  return 0
}
cpu_us_per_request() {  # wrk-output-file → server CPU µs per request (from OUT.cpu), or nan
  local req ticks hz
  req=$(field "$1" requests)
  read -r ticks hz 2>/dev/null <"$1.cpu" || { echo nan; return; }
  awk -v t="$ticks" -v hz="$hz" -v r="$req" 'BEGIN{if (r>0) printf "%.1f\n", 1e6*t/hz/r; else print "nan"}'
}
field() {  # file key → value from the AGW_RESULT line
  sed -n "s/^AGW_RESULT.* $2=\([^ ]*\).*/\1/p" "$1" 2>/dev/null | tail -1
}
median() {  # numbers on stdin → median
  sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit}
    if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}
sum() { awk '{s+=$1} END {print s+0}'; }
spread_pct() {  # numbers on stdin → coefficient of variation in %
  awk '{v[NR]=$1; s+=$1} END {if (NR==0) {print 0; exit} m=s/NR; for(i=1;i<=NR;i++) d+=(v[i]-m)^2
    printf "%.0f", (m>0 ? 100*sqrt(d/NR)/m : 0)}'
}
# collect CASE KEY: one value per round from $RAW_DIR/r<round>-<CASE>.txt
collect() {
  local r
  for ((r = 1; r <= ROUNDS; r++)); do field "$RAW_DIR/r$r-$1.txt" "$2"; done
}
# errors CASE: non-2xx, socket errors and timeouts summed over the rounds
errors_of() {
  { collect "$1" non2xx; collect "$1" connect_err; collect "$1" read_err
    collect "$1" write_err; collect "$1" timeouts; } | sum
}
verdict() {  # awk condition on a and b → PASS/MISS
  awk -v a="$2" -v b="$3" "BEGIN{print ($1) ? \"PASS\" : \"MISS\"}"
}
host_line() {
  echo "$(nproc) CPUs, $(uname -sr)"
}
binary_line() {  # the binary's build time next to the checkout's commit: they need not match
  echo "built $(date -u -r "$AGW_BIN" +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || echo '?'); checkout at $(git -C "$REPO_DIR" log -1 --format='%h (%cd)' --date=format:%Y-%m-%dT%H:%M 2>/dev/null || echo '?')$(git -C "$REPO_DIR" diff --quiet HEAD -- src include 2>/dev/null || echo ' + local changes in src/include')"
}
load1() { cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0; }
