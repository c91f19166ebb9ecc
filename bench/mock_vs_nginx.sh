#!/usr/bin/env bash
# Benchmark: ai-gateway's mock chat completion against nginx returning the same JSON statically.
#
# Builds nothing. Starts the gateway (mock provider) and an nginx of its own under a temporary
# prefix, captures the gateway's chat completion body, serves it from nginx, then runs
# interleaved wrk rounds and prints median req/s, p50 and p99 per target and concurrency.
# See bench/README.md. Always exits 0 once the benchmark ran (it is not a CI gate); exits 1
# only when it cannot run (missing tool, a server that does not start).
#
# Environment (all optional):
#   AGW_BIN        gateway binary                       (default: build/ai-gateway)
#   ROUNDS         interleaved rounds                   (default: 5)
#   DURATION       seconds per wrk run                  (default: 5)
#   WARMUP         seconds of c64 warm-up per target    (default: 2; 0 disables)
#   IO_THREADS     gateway IO threads                   (default: 2)
#   NGINX_WORKERS  nginx worker processes               (default: IO_THREADS)
#   CONCURRENCY    "low high" connection counts         (default: "1 64")
#   RESULTS_DIR    where raw wrk output and the summary go
#                  (default: bench/results/mock_vs_nginx-<UTC time>; "" keeps nothing)
#   AGW_EXTRA_ENV  extra KEY=VALUE words for the gateway's environment (e.g. "MOCK_LATENCY_MS=0")
#   BENCH_KEY      a client key to send (default: one made with `ai-gateway create-key` when the
#                  binary has keys)
#   BENCH_DATABASE_URL  PostgreSQL for a gateway that needs one (default: a throwaway cluster is
#                  started under the temporary directory when the binary asks for DATABASE_URL)
#   NGINX_BIN, WRK_BIN, CURL_BIN  tool paths            (default: from PATH, nginx also /usr/sbin)
set -uo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$SCRIPT_DIR/.." && pwd)

AGW_BIN=${AGW_BIN:-build/ai-gateway}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
IO_THREADS=${IO_THREADS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-$IO_THREADS}
read -r C_LOW C_HIGH <<<"${CONCURRENCY:-1 64}"
AGW_EXTRA_ENV=${AGW_EXTRA_ENV:-}
NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
WRK_BIN=${WRK_BIN:-$(command -v wrk || true)}
CURL_BIN=${CURL_BIN:-$(command -v curl || true)}
if [[ -z ${RESULTS_DIR+x} ]]; then
  RESULTS_DIR="$REPO_DIR/bench/results/mock_vs_nginx-$(date -u +%Y%m%dT%H%M%SZ)"
fi

# Targets (printed as PASS/MISS; never change the exit code).
TARGET_RATIO=0.30   # gateway req/s ≥ 0.30 × nginx req/s at the high concurrency
TARGET_P99_MS=5     # gateway p99 at the high concurrency < 5 ms

REQUEST_BODY='{"model":"mock-1","messages":[{"role":"user","content":"hi"}]}'
LUA_SCRIPT="$SCRIPT_DIR/wrk_chat.lua"

die() { echo "mock_vs_nginx: $*" >&2; exit 1; }

# ---------------------------------------------------------------------------------------------
# Preconditions
[[ $AGW_BIN == /* ]] || AGW_BIN="$PWD/$AGW_BIN"
[[ -x $AGW_BIN ]] || die "gateway binary not found: $AGW_BIN (build it first, or set AGW_BIN)"
[[ -x $NGINX_BIN ]] || die "nginx not found (apt-get install nginx-light, or set NGINX_BIN)"
[[ -n $WRK_BIN && -x $WRK_BIN ]] || die "wrk not found (apt-get install wrk, or set WRK_BIN)"
[[ -n $CURL_BIN && -x $CURL_BIN ]] || die "curl not found (apt-get install curl)"
[[ -f $LUA_SCRIPT ]] || die "missing $LUA_SCRIPT"
[[ $ROUNDS =~ ^[1-9][0-9]*$ && $DURATION =~ ^[1-9][0-9]*$ && $WARMUP =~ ^[0-9]+$ ]] ||
  die "ROUNDS and DURATION must be positive integers, WARMUP a non-negative integer"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/agw-bench.XXXXXX") || die "mktemp failed"
GW_PID=""
NGINX_PID=""
WRK_PID=""
PG_DIR=""

# shellcheck disable=SC2317  # invoked by the traps
cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  [[ -n $WRK_PID ]] && kill "$WRK_PID" 2>/dev/null
  if [[ -n $NGINX_PID ]]; then
    kill -TERM "$NGINX_PID" 2>/dev/null
    wait "$NGINX_PID" 2>/dev/null
  fi
  if [[ -n $GW_PID ]]; then
    kill -TERM "$GW_PID" 2>/dev/null
    # SIGTERM drains; give it a few seconds, then make sure.
    for _ in $(seq 50); do kill -0 "$GW_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$GW_PID" 2>/dev/null
    wait "$GW_PID" 2>/dev/null
  fi
  [[ -n $PG_DIR ]] && stop_postgres
  rm -rf "$WORK"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

if [[ -n $RESULTS_DIR ]]; then
  mkdir -p "$RESULTS_DIR" || die "cannot create RESULTS_DIR $RESULTS_DIR"
  RAW_DIR=$RESULTS_DIR
else
  RAW_DIR="$WORK/raw"
  mkdir -p "$RAW_DIR"
fi

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

wait_http() {  # url, pid: wait until the URL answers (any status), or the process dies
  local url=$1 pid=$2
  for _ in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 1
    "$CURL_BIN" -s -o /dev/null --max-time 1 "$url" && return 0
    sleep 0.1
  done
  return 1
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL: a binary that needs DATABASE_URL (no embedded store yet) gets a throwaway cluster
# here, unless BENCH_DATABASE_URL names one to use. Nothing of the caller's DATABASE_URL is used.
PG_CTL=""
PG_AS=()
find_pg_tool() {
  local tool=$1 dir
  command -v "$tool" 2>/dev/null && return
  for dir in /usr/lib/postgresql/*/bin; do
    [[ -x $dir/$tool ]] && { echo "$dir/$tool"; return; }
  done
  return 1
}
start_postgres() {
  local initdb port
  if ! initdb=$(find_pg_tool initdb) || ! PG_CTL=$(find_pg_tool pg_ctl); then
    die "the gateway needs PostgreSQL: install postgresql, or set BENCH_DATABASE_URL"
  fi
  if [[ $EUID -eq 0 ]]; then  # initdb refuses root
    id postgres >/dev/null 2>&1 || die "running as root needs a 'postgres' user for initdb"
    PG_AS=(runuser -u postgres --)
    chmod 711 "$WORK"
  fi
  PG_DIR="$WORK/pg"
  mkdir -p "$PG_DIR"
  [[ $EUID -eq 0 ]] && chown postgres "$PG_DIR"
  port=$(free_port)
  "${PG_AS[@]}" "$initdb" -D "$PG_DIR/data" -A trust -U agw --no-sync >"$PG_DIR/initdb.log" 2>&1 ||
    { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
  "${PG_AS[@]}" "$PG_CTL" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$PG_DIR/server.log" >&2; die "PostgreSQL did not start"; }
  # initdb creates the "postgres" database; the gateway migrates it at start-up.
  DATABASE_URL_USED="postgresql://agw@127.0.0.1:$port/postgres"
  PG_NOTE="throwaway PostgreSQL (fsync off) on :$port"
}
# shellcheck disable=SC2317  # invoked by cleanup
stop_postgres() {
  [[ -n $PG_DIR && -n $PG_CTL ]] || return 0
  "${PG_AS[@]}" "$PG_CTL" -D "$PG_DIR/data" -m immediate -w stop >/dev/null 2>&1
}

# ---------------------------------------------------------------------------------------------
# Gateway: mock provider, access log off, warnings only, state in the temporary directory.
GW_PORT=$(free_port)
mkdir -p "$WORK/gateway/data"
DATABASE_URL_USED=${BENCH_DATABASE_URL:-}
PG_NOTE=${BENCH_DATABASE_URL:+PostgreSQL from BENCH_DATABASE_URL}
gateway_env() {
  GW_ENV=(PATH=/usr/local/bin:/usr/bin:/bin HOME="$WORK/gateway" HOST=127.0.0.1 PORT="$GW_PORT"
          IO_THREADS="$IO_THREADS" ACCESS_LOG=false LOG_LEVEL=warn DATA_DIR="$WORK/gateway/data"
          DEFAULT_PROVIDER=mock DEFAULT_RPM=0 DEFAULT_TPM=0)
  [[ -n $DATABASE_URL_USED ]] && GW_ENV+=(DATABASE_URL="$DATABASE_URL_USED")
  # shellcheck disable=SC2206  # word splitting of KEY=VALUE pairs is intended
  GW_ENV+=($AGW_EXTRA_ENV)
}
start_gateway() {  # The working directory has no .env; env -i keeps the caller's environment out.
  gateway_env
  (cd "$WORK/gateway" && exec env -i "${GW_ENV[@]}" "$AGW_BIN" serve) \
    >"$RAW_DIR/gateway.log" 2>&1 &
  GW_PID=$!
  wait_http "http://127.0.0.1:$GW_PORT/healthz" "$GW_PID" && return 0
  kill -KILL "$GW_PID" 2>/dev/null; wait "$GW_PID" 2>/dev/null; GW_PID=""
  return 1
}
if ! start_gateway; then
  if [[ -z $DATABASE_URL_USED ]] && grep -q DATABASE_URL "$RAW_DIR/gateway.log"; then
    start_postgres
    start_gateway || { cat "$RAW_DIR/gateway.log" >&2; die "the gateway did not start"; }
  else
    cat "$RAW_DIR/gateway.log" >&2; die "the gateway did not start"
  fi
fi

# When the binary has client keys (auth on the request path), make an unlimited one, unless the
# caller brought one (BENCH_KEY, valid in BENCH_DATABASE_URL's database).
BENCH_KEY=${BENCH_KEY:-}
KEY_NOTE=""
if [[ -z $BENCH_KEY ]]; then
  key_json=$(cd "$WORK/gateway" && env -i "${GW_ENV[@]}" "$AGW_BIN" create-key --name bench \
               --rpm 0 --tpm 0 --json 2>&1)
  key_rc=$?
  if ((key_rc == 0)); then
    BENCH_KEY=$(sed -n 's/.*"key" *: *"\([^"]*\)".*/\1/p' <<<"$key_json" | head -1)
  else
    KEY_NOTE="\`ai-gateway create-key --json\` exited $key_rc: ${key_json:0:300}"
  fi
fi

AUTH_HEADER=()
[[ -n $BENCH_KEY ]] && AUTH_HEADER=(-H "Authorization: Bearer $BENCH_KEY")
status=$("$CURL_BIN" -s -o "$WORK/body.json" -D "$WORK/headers.txt" -w '%{http_code}' \
  -X POST -H 'Content-Type: application/json' "${AUTH_HEADER[@]}" --data-binary "$REQUEST_BODY" \
  "http://127.0.0.1:$GW_PORT/v1/chat/completions")
if [[ $status != 200 ]]; then
  cat "$WORK/body.json" >&2; echo >&2
  [[ $status == 401 && -n $KEY_NOTE ]] && echo "no client key: $KEY_NOTE" >&2
  die "gateway answered $status to the chat request"
fi
BODY=$(<"$WORK/body.json")
[[ -n $BODY ]] || die "empty chat completion body"

# ---------------------------------------------------------------------------------------------
# nginx: the same body, statically, for POST /v1/chat/completions.
NGINX_PORT=$(free_port)
NGX="$WORK/nginx"
mkdir -p "$NGX/logs" "$NGX/tmp"
# Quote the body for an nginx single-quoted string: backslashes and quotes are escaped, and '$'
# (which would start a variable) comes from a geo variable that holds a literal dollar sign.
esc=${BODY//\\/\\\\}
esc=${esc//\'/\\\'}
esc=${esc//\$/\$\{agw_dollar\}}
user_line=""
[[ $EUID -eq 0 ]] && user_line="user root;"
cat >"$NGX/nginx.conf" <<EOF
$user_line
daemon off;
master_process on;
worker_processes $NGINX_WORKERS;
pid $NGX/nginx.pid;
error_log $NGX/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  client_body_temp_path $NGX/tmp/body;
  proxy_temp_path $NGX/tmp/proxy;
  fastcgi_temp_path $NGX/tmp/fastcgi;
  uwsgi_temp_path $NGX/tmp/uwsgi;
  scgi_temp_path $NGX/tmp/scgi;
  # Like the gateway: no cap on requests per keep-alive connection (nginx's default is 1000).
  keepalive_requests 100000000;
  keepalive_timeout 60s;
  geo \$agw_dollar { default "\$"; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /v1/chat/completions {
      default_type application/json;
      return 200 '$esc';
    }
    location / { return 404; }
  }
}
EOF
"$NGINX_BIN" -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/logs/error.log" -t -q 2>"$WORK/nginx-t.txt" ||
  { cat "$WORK/nginx-t.txt" "$NGX/logs/error.log" >&2 2>/dev/null; die "nginx rejected its configuration"; }
"$NGINX_BIN" -p "$NGX" -c "$NGX/nginx.conf" -e "$NGX/logs/error.log" >"$RAW_DIR/nginx.log" 2>&1 &
NGINX_PID=$!
wait_http "http://127.0.0.1:$NGINX_PORT/" "$NGINX_PID" ||
  { cat "$NGX/logs/error.log" >&2; die "nginx did not start"; }
nginx_body=$("$CURL_BIN" -s -X POST -H 'Content-Type: application/json' \
  --data-binary "$REQUEST_BODY" "http://127.0.0.1:$NGINX_PORT/v1/chat/completions")
[[ $nginx_body == "$BODY" ]] || die "nginx does not return the captured body byte for byte"

GW_URL="http://127.0.0.1:$GW_PORT/v1/chat/completions"
NGINX_URL="http://127.0.0.1:$NGINX_PORT/v1/chat/completions"

# ---------------------------------------------------------------------------------------------
# Rounds
run_wrk() {  # name conc seconds outfile
  local url threads=1
  [[ $1 == gateway ]] && url=$GW_URL || url=$NGINX_URL
  (($2 > 1)) && threads=2
  AGW_BENCH_BODY=$REQUEST_BODY AGW_BENCH_KEY=$BENCH_KEY \
    "$WRK_BIN" -t"$threads" -c"$2" -d"${3}s" --timeout 5s --latency -s "$LUA_SCRIPT" "$url" \
    >"$4" 2>&1 &
  WRK_PID=$!
  wait "$WRK_PID"
  WRK_PID=""
}

field() {  # file key → value from the AGW_RESULT line
  sed -n "s/^AGW_RESULT.* $2=\([^ ]*\).*/\1/p" "$1" | tail -1
}

echo "ai-gateway vs nginx (static), POST /v1/chat/completions"
echo "  gateway : $AGW_BIN"
echo "            mock provider, IO_THREADS=$IO_THREADS, ACCESS_LOG=false, LOG_LEVEL=warn${AGW_EXTRA_ENV:+, $AGW_EXTRA_ENV}"
echo "            ${BENCH_KEY:+client key on every request (auth on the path), }${PG_NOTE:-no database}"
echo "  nginx   : $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //'), worker_processes $NGINX_WORKERS, access_log off, return 200 of the same ${#BODY}-byte body"
echo "  wrk     : -t1 at c$C_LOW, -t2 at c$C_HIGH, ${DURATION}s per run, $ROUNDS interleaved rounds, --latency"
echo "  host    : $(nproc) CPUs, $(uname -sr); commit $(git -C "$REPO_DIR" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$REPO_DIR" diff --quiet HEAD -- src include 2>/dev/null || echo ' (+local changes)')"
echo "  raw     : ${RESULTS_DIR:-(not kept; set RESULTS_DIR to keep)}"
LOAD_BEFORE=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
echo "  load    : $LOAD_BEFORE (1-min average before the first run)"
echo

if ((WARMUP > 0)); then
  echo "warm-up: ${WARMUP}s per target at c$C_HIGH"
  run_wrk nginx "$C_HIGH" "$WARMUP" "$RAW_DIR/warmup-nginx.txt"
  run_wrk gateway "$C_HIGH" "$WARMUP" "$RAW_DIR/warmup-gateway.txt"
fi

CASES=("nginx $C_LOW" "gateway $C_LOW" "nginx $C_HIGH" "gateway $C_HIGH")
for ((r = 1; r <= ROUNDS; r++)); do
  line="round $r/$ROUNDS:"
  for c in "${CASES[@]}"; do
    read -r name conc <<<"$c"
    out="$RAW_DIR/r${r}-${name}-c${conc}.txt"
    run_wrk "$name" "$conc" "$DURATION" "$out"
    rps=$(field "$out" rps)
    [[ -n $rps ]] || { echo; cat "$out" >&2; die "wrk produced no result for $name c$conc"; }
    line+=$(printf '  %s c%s %.0f/s' "$name" "$conc" "$rps")
  done
  echo "$line"
done
echo

median() {  # numbers on stdin → median
  sort -g | awk '{v[NR]=$1} END {if (NR==0) {print "nan"; exit}
    if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'
}
collect() {  # name conc key → one value per round
  local f
  for ((r = 1; r <= ROUNDS; r++)); do
    f="$RAW_DIR/r$r-$1-c$2.txt"
    field "$f" "$3"
  done
}
sum() { awk '{s+=$1} END {print s+0}'; }

declare -A RPS P50 P99
{
  printf '%-8s %5s %12s %10s %10s %10s  %s\n' target conc "req/s" "p50 ms" "p99 ms" "non-2xx" \
    "req/s per round"
  for c in "${CASES[@]}"; do
    read -r name conc <<<"$c"
    RPS[$c]=$(collect "$name" "$conc" rps | median)
    P50[$c]=$(collect "$name" "$conc" p50_us | median)
    P99[$c]=$(collect "$name" "$conc" p99_us | median)
    bad=$( { collect "$name" "$conc" non2xx; collect "$name" "$conc" connect_err
             collect "$name" "$conc" read_err; collect "$name" "$conc" write_err
             collect "$name" "$conc" timeouts; } | sum)
    per_round=$(collect "$name" "$conc" rps | awk '{printf "%s%.0f", (NR>1?" ":""), $1}')
    printf '%-8s %5s %12.0f %10.3f %10.3f %10s  %s\n' "$name" "$conc" "${RPS[$c]}" \
      "$(awk -v u="${P50[$c]}" 'BEGIN{print u/1000}')" \
      "$(awk -v u="${P99[$c]}" 'BEGIN{print u/1000}')" "$bad" "$per_round"
  done
  echo "(medians across $ROUNDS rounds; non-2xx also counts socket errors and timeouts)"
  echo

  ratio=$(awk -v g="${RPS[gateway $C_HIGH]}" -v n="${RPS[nginx $C_HIGH]}" \
    'BEGIN{printf "%.3f", (n>0 ? g/n : 0)}')
  ratio_low=$(awk -v g="${RPS[gateway $C_LOW]}" -v n="${RPS[nginx $C_LOW]}" \
    'BEGIN{printf "%.3f", (n>0 ? g/n : 0)}')
  p99_ms=$(awk -v u="${P99[gateway $C_HIGH]}" 'BEGIN{printf "%.3f", u/1000}')
  verdict_ratio=$(awk -v r="$ratio" -v t="$TARGET_RATIO" 'BEGIN{print (r>=t ? "PASS" : "MISS")}')
  verdict_p99=$(awk -v p="$p99_ms" -v t="$TARGET_P99_MS" 'BEGIN{print (p<t ? "PASS" : "MISS")}')
  echo "gateway/nginx req/s at c$C_LOW : $ratio_low (informational)"
  echo "gateway/nginx req/s at c$C_HIGH: $ratio   target >= $TARGET_RATIO  $verdict_ratio"
  echo "gateway p99 at c$C_HIGH        : $p99_ms ms   target < $TARGET_P99_MS ms  $verdict_p99"

  # Noise check: nginx's own spread across rounds, and the machine's load. A static server
  # that varies a lot means something else took the CPU; the figures are then unreliable.
  spread=$(collect nginx "$C_HIGH" rps | awk '{v[NR]=$1; s+=$1} END {m=s/NR; for(i=1;i<=NR;i++) d+=(v[i]-m)^2
    printf "%.0f", (m>0 ? 100*sqrt(d/NR)/m : 0)}')
  load_after=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo 0)
  noisy=$(awk -v s="$spread" -v a="$LOAD_BEFORE" -v b="$load_after" -v n="$(nproc)" \
    'BEGIN{print (s>15 || a>n || b>n*2.5) ? "yes" : "no"}')
  echo "noise: nginx c$C_HIGH req/s varies ${spread}% across rounds; load ${LOAD_BEFORE} before, ${load_after} after"
  [[ $noisy == yes ]] &&
    echo "WARNING: noisy run (another process used the CPU?): rerun on a quiet machine before trusting it"
} | tee "$WORK/summary.txt"
[[ -n $RESULTS_DIR ]] && cp "$WORK/summary.txt" "$RESULTS_DIR/summary.txt"

if ! kill -0 "$GW_PID" 2>/dev/null; then
  echo "WARNING: the gateway exited during the benchmark; see ${RESULTS_DIR:-its log}" >&2
fi
exit 0
