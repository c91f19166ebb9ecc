#!/usr/bin/env bash
# Benchmark: ai-gateway as a proxy to an OpenAI-compatible upstream, against nginx as a plain
# keep-alive reverse proxy in front of the same upstream (issue 4, point 8).
#
# In one run, interleaved, the same small chat completion POST (model gpt-4o-mini, JSON, the
# gateway key as Bearer on every request to every target) goes to:
#   direct   (a) the fast upstream itself: nginx returning a static chat.completion with usage
#   nginx    (b) nginx reverse proxy (upstream keepalive, HTTP/1.1, Connection "") in front of (a)
#   gateway  (c) ai-gateway (DEFAULT_PROVIDER=openai, OPENAI_BASE_URL=(a)) in front of (a)
# at c1 (wrk -t1) and c64 (wrk -t2); and, with an upstream that answers after 50 ms (nginx echo
# module), at c1000 (wrk -t2) through (b) and (c), plus that upstream directly for reference.
# Prints medians of req/s, p50, p99, the ratios, the latency (c) adds over (a) at c1 and the
# gateway's peak RSS, with PASS/MISS per target. Always exits 0 once the benchmark ran; 1 only
# when it cannot run (missing tool, a server that does not start or answers wrongly).
#
# Environment (all optional):
#   AGW_BIN          gateway binary                             (default: build/ai-gateway)
#   ROUNDS           interleaved rounds                         (default: 5)
#   DURATION         seconds per wrk run                        (default: 5)
#   WARMUP           seconds of warm-up per case                (default: 2; 0 disables)
#   IO_THREADS       gateway IO threads                         (default: 2)
#   UPSTREAM_WORKERS nginx workers of the upstream (a)+(slow)   (default: 1)
#   PROXY_WORKERS    nginx workers of the proxy (b)             (default: 1)
#   PROXY_KEEPALIVE  idle upstream connections nginx (b) keeps, fast upstream (default: 64)
#   PROXY_KEEPALIVE_SLOW  the same for the 50 ms upstream       (default: 1024)
#   SLOW_MS          the slow upstream's delay                  (default: 50)
#   SLOW_CONNECTIONS wrk connections for the slow upstream      (default: 1000)
#   RESULTS_DIR      raw wrk output, logs, summary (default: bench/results/proxy_vs_nginx-<UTC>;
#                    "" keeps nothing)
#   AGW_EXTRA_ENV    extra KEY=VALUE words for the gateways
#   BENCH_DATABASE_URL, BENCH_KEY, NGINX_BIN, WRK_BIN, CURL_BIN, ECHO_MODULE (path of
#                    ngx_http_echo_module.so)
set -uo pipefail

BENCH_NAME=proxy_vs_nginx
# shellcheck source=bench/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
IO_THREADS=${IO_THREADS:-2}
UPSTREAM_WORKERS=${UPSTREAM_WORKERS:-1}
PROXY_WORKERS=${PROXY_WORKERS:-1}
PROXY_KEEPALIVE=${PROXY_KEEPALIVE:-64}
PROXY_KEEPALIVE_SLOW=${PROXY_KEEPALIVE_SLOW:-1024}
SLOW_MS=${SLOW_MS:-50}
SLOW_CONNECTIONS=${SLOW_CONNECTIONS:-1000}
C_LOW=1
C_HIGH=64

# Targets (PASS/MISS; never the exit code).
TARGET_RATIO_C64=0.7      # (c) ≥ 0.7 × (b) req/s at c64
TARGET_ADD_P50_US=50      # (c) adds ≤ 50 µs p50 over (a) at c1
TARGET_ADD_P99_US=500     # (c) adds ≤ 0.5 ms p99 over (a) at c1
TARGET_RATIO_SLOW=0.9     # (c) ≥ 0.9 × (b) req/s with the slow upstream
TARGET_RSS_MB=100         # gateway peak RSS < 100 MB

REQUEST_BODY='{"model":"gpt-4o-mini","messages":[{"role":"user","content":"hi"}]}'
UPSTREAM_BODY='{"id":"chatcmpl-bench0001","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":8,"completion_tokens":9,"total_tokens":17},"system_fingerprint":"fp_bench"}'

bench_init

ECHO_MODULE=${ECHO_MODULE:-}
if [[ -z $ECHO_MODULE ]]; then
  for m in /usr/lib/nginx/modules/ngx_http_echo_module.so /usr/share/nginx/modules/ngx_http_echo_module.so \
           /usr/lib64/nginx/modules/ngx_http_echo_module.so; do
    [[ -f $m ]] && { ECHO_MODULE=$m; break; }
  done
fi
[[ -f $ECHO_MODULE ]] || die "nginx echo module not found (apt-get install libnginx-mod-http-echo, or set ECHO_MODULE)"
SLOW_S=$(awk -v m="$SLOW_MS" 'BEGIN{printf "%.3f", m/1000}')

# ---------------------------------------------------------------------------------------------
# (a) and the slow upstream: one nginx, two servers.
UP_PORT=$(free_port)
SLOW_PORT=$(free_port)
UP="$WORK/nginx-upstream"
mkdir -p "$UP"
QBODY=$(nginx_quote "$UPSTREAM_BODY")
{
  echo "load_module $ECHO_MODULE;"
  nginx_main_common "$UP" "$UPSTREAM_WORKERS"
  echo "http {"
  nginx_http_common "$UP"
  cat <<EOF
  server {
    listen 127.0.0.1:$UP_PORT reuseport backlog=4096;
    location = /v1/chat/completions {
      default_type application/json;
      return 200 '$QBODY';
    }
    location / { return 404; }
  }
  server {
    listen 127.0.0.1:$SLOW_PORT reuseport backlog=4096;
    location = /v1/chat/completions {
      default_type application/json;
      echo_sleep $SLOW_S;
      echo -n '$QBODY';
    }
    location / { return 404; }
  }
}
EOF
} >"$UP/nginx.conf"
start_nginx upstream "$UP" "http://127.0.0.1:$UP_PORT/"

# (b): nginx as a keep-alive reverse proxy, one server per upstream.
PX_PORT=$(free_port)
PX_SLOW_PORT=$(free_port)
PX="$WORK/nginx-proxy"
mkdir -p "$PX"
{
  nginx_main_common "$PX" "$PROXY_WORKERS"
  echo "http {"
  nginx_http_common "$PX"
  cat <<EOF
  upstream fast { server 127.0.0.1:$UP_PORT; keepalive $PROXY_KEEPALIVE; keepalive_requests 100000000; }
  upstream slow { server 127.0.0.1:$SLOW_PORT; keepalive $PROXY_KEEPALIVE_SLOW; keepalive_requests 100000000; }
  proxy_http_version 1.1;
  proxy_set_header Connection "";
  server {
    listen 127.0.0.1:$PX_PORT reuseport backlog=4096;
    location / { proxy_pass http://fast; }
  }
  server {
    listen 127.0.0.1:$PX_SLOW_PORT reuseport backlog=4096;
    location / { proxy_pass http://slow; }
  }
}
EOF
} >"$PX/nginx.conf"
start_nginx proxy "$PX" "http://127.0.0.1:$PX_PORT/"

# (c): two gateways with the same settings, one per upstream (a gateway has one OPENAI_BASE_URL).
start_postgres
GW_SETTINGS=(DEFAULT_PROVIDER=openai MAX_CONNECTIONS=4000 UPSTREAM_MAX_CONNECTIONS=1000)
GW_PORT=$(free_port)
start_gateway fast "$GW_PORT" "${GW_SETTINGS[@]}" OPENAI_BASE_URL="http://127.0.0.1:$UP_PORT"
GW_SLOW_PORT=$(free_port)
start_gateway slow "$GW_SLOW_PORT" "${GW_SETTINGS[@]}" OPENAI_BASE_URL="http://127.0.0.1:$SLOW_PORT"
create_key

declare -A URL
URL[direct]="http://127.0.0.1:$UP_PORT/v1/chat/completions"
URL[nginx]="http://127.0.0.1:$PX_PORT/v1/chat/completions"
URL[gateway]="http://127.0.0.1:$GW_PORT/v1/chat/completions"
URL[direct-slow]="http://127.0.0.1:$SLOW_PORT/v1/chat/completions"
URL[nginx-slow]="http://127.0.0.1:$PX_SLOW_PORT/v1/chat/completions"
URL[gateway-slow]="http://127.0.0.1:$GW_SLOW_PORT/v1/chat/completions"

# Every target must return the upstream's body byte for byte, 200, as application/json.
for t in direct nginx gateway direct-slow nginx-slow gateway-slow; do
  status=$("$CURL_BIN" -s -o "$WORK/check-$t.json" -D "$WORK/check-$t.head" -w '%{http_code}' \
    -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $BENCH_KEY" \
    --data-binary "$REQUEST_BODY" "${URL[$t]}")
  [[ $status == 200 ]] || { cat "$WORK/check-$t.json" >&2; echo >&2; die "$t answered $status"; }
  [[ $(<"$WORK/check-$t.json") == "$UPSTREAM_BODY" ]] ||
    { cat "$WORK/check-$t.json" >&2; echo >&2; die "$t does not return the upstream body byte for byte"; }
  grep -qi '^content-type: *application/json' "$WORK/check-$t.head" ||
    { cat "$WORK/check-$t.head" >&2; die "$t does not answer Content-Type: application/json"; }
done
# The slow upstream is slow, and the gateway really goes upstream (no key → 401 before that).
slow_s=$("$CURL_BIN" -s -o /dev/null -w '%{time_total}' -X POST -H 'Content-Type: application/json' \
  --data-binary "$REQUEST_BODY" "${URL[direct-slow]}")
awk -v t="$slow_s" -v s="$SLOW_S" 'BEGIN{exit !(t>=s*0.9)}' || die "the slow upstream answered in ${slow_s}s"

declare -A SERVER_PIDS  # whose CPU the "µs/req" column counts: the process the client talks to
SERVER_PIDS[direct]=$(server_pids "$(pid_of nginx-upstream)" | tr '\n' ' ')
SERVER_PIDS[direct-slow]=${SERVER_PIDS[direct]}
SERVER_PIDS[nginx]=$(server_pids "$(pid_of nginx-proxy)" | tr '\n' ' ')
SERVER_PIDS[nginx-slow]=${SERVER_PIDS[nginx]}
SERVER_PIDS[gateway]=${GW_PID[fast]}
SERVER_PIDS[gateway-slow]=${GW_PID[slow]}

run_case() {  # case conc seconds out
  local t=${1%-c*} threads=1
  (($2 > 1)) && threads=2
  CPU_PIDS=${SERVER_PIDS[$t]}
  run_wrk "$4" "$threads" "$2" "$3" "${URL[$t]}" POST "$REQUEST_BODY" "$BENCH_KEY"
}

CASES=()
for t in direct nginx gateway; do CASES+=("$t-c$C_LOW"); done
for t in direct nginx gateway; do CASES+=("$t-c$C_HIGH"); done
for t in direct-slow nginx-slow gateway-slow; do CASES+=("$t-c$SLOW_CONNECTIONS"); done

echo "ai-gateway vs nginx as a reverse proxy, POST /v1/chat/completions (gpt-4o-mini, ${#REQUEST_BODY}-byte body, key as Bearer)"
echo "  (a) direct : nginx $("$NGINX_BIN" -v 2>&1 | sed 's/.*\///'), $UPSTREAM_WORKERS worker, return 200 of a ${#UPSTREAM_BODY}-byte chat.completion (with usage)"
echo "      slow   : the same nginx, echo_sleep $SLOW_S + echo of the same body (chunked), application/json"
echo "  (b) nginx  : $PROXY_WORKERS worker, proxy_pass to an upstream{} with keepalive $PROXY_KEEPALIVE (slow: $PROXY_KEEPALIVE_SLOW),"
echo "               proxy_http_version 1.1, Connection \"\", access_log off"
echo "  (c) gateway: $AGW_BIN ($(binary_line)),"
echo "               IO_THREADS=$IO_THREADS, ACCESS_LOG=false, LOG_LEVEL=warn, ${GW_SETTINGS[*]}${AGW_EXTRA_ENV:+ $AGW_EXTRA_ENV}"
echo "               OPENAI_BASE_URL=(a) or slow (two instances, same settings); client key cached; $PG_NOTE"
echo "  wrk        : -t1 at c$C_LOW, -t2 at c$C_HIGH and c$SLOW_CONNECTIONS, ${DURATION}s per run, $ROUNDS interleaved rounds, --latency"
echo "  host       : $(host_line); nginx, wrk, the gateway (and PostgreSQL, idle) share the CPUs"
echo "  raw        : ${RESULTS_DIR:-(not kept; set RESULTS_DIR to keep)}"
LOAD_BEFORE=$(load1)
echo "  load       : $LOAD_BEFORE (1-min average before the first run)"
echo

if ((WARMUP > 0)); then
  echo "warm-up: ${WARMUP}s per case"
  for cs in "${CASES[@]}"; do run_case "$cs" "${cs##*-c}" "$WARMUP" "$RAW_DIR/warmup-$cs.txt"; done
fi
for ((r = 1; r <= ROUNDS; r++)); do
  line="round $r/$ROUNDS:"
  for cs in "${CASES[@]}"; do
    out="$RAW_DIR/r$r-$cs.txt"
    settle
    run_case "$cs" "${cs##*-c}" "$DURATION" "$out"
    rps=$(field "$out" rps)
    [[ -n $rps ]] || { echo; cat "$out" >&2; die "wrk produced no result for $cs"; }
    line+=$(printf ' %s %.0f' "$cs" "$rps")
  done
  echo "$line"
done
echo

RSS_FAST=$(peak_rss_kb "${GW_PID[fast]}")
RSS_SLOW=$(peak_rss_kb "${GW_PID[slow]}")

cpu_of() {  # case → median server CPU µs per request
  local r
  for ((r = 1; r <= ROUNDS; r++)); do cpu_us_per_request "$RAW_DIR/r$r-$1.txt"; done | median
}
declare -A RPS P50 P99
{
  printf '%-13s %5s %10s %9s %9s %8s %9s  %s\n' target conc "req/s" "p50 ms" "p99 ms" "non-2xx" "µs/req" "req/s per round"
  for cs in "${CASES[@]}"; do
    RPS[$cs]=$(collect "$cs" rps | median)
    P50[$cs]=$(collect "$cs" p50_us | median)
    P99[$cs]=$(collect "$cs" p99_us | median)
    printf '%-13s %5s %10.0f %9.3f %9.3f %8s %9s  %s\n' "${cs%-c*}" "${cs##*-c}" "${RPS[$cs]}" \
      "$(awk -v u="${P50[$cs]}" 'BEGIN{print u/1000}')" "$(awk -v u="${P99[$cs]}" 'BEGIN{print u/1000}')" \
      "$(errors_of "$cs")" "$(cpu_of "$cs")" "$(collect "$cs" rps | awk '{printf "%s%.0f", (NR>1?" ":""), $1}')"
  done
  echo "(medians across $ROUNDS rounds; non-2xx also counts socket errors and timeouts; direct-slow is a reference;"
  echo " µs/req = CPU time (user+system) per request of the server wrk talks to: the upstream nginx for"
  echo " direct, the proxy nginx's master and worker for nginx, the gateway process for gateway)"
  echo

  ratio() { awk -v a="${RPS[$1]}" -v b="${RPS[$2]}" 'BEGIN{printf "%.3f", (b>0 ? a/b : 0)}'; }
  diff_us() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%d", a-b}'; }
  r64=$(ratio "gateway-c$C_HIGH" "nginx-c$C_HIGH")
  rslow=$(ratio "gateway-slow-c$SLOW_CONNECTIONS" "nginx-slow-c$SLOW_CONNECTIONS")
  add50=$(diff_us "${P50[gateway-c$C_LOW]}" "${P50[direct-c$C_LOW]}")
  add99=$(diff_us "${P99[gateway-c$C_LOW]}" "${P99[direct-c$C_LOW]}")
  nadd50=$(diff_us "${P50[nginx-c$C_LOW]}" "${P50[direct-c$C_LOW]}")
  nadd99=$(diff_us "${P99[nginx-c$C_LOW]}" "${P99[direct-c$C_LOW]}")
  rss_max=$(awk -v a="$RSS_FAST" -v b="$RSS_SLOW" 'BEGIN{m=(a+0>b+0?a:b); printf "%.1f", m/1024}')
  printf '%-44s %10s   target >= %-8s %s\n' "(c)/(b) req/s at c$C_HIGH" "$r64" "$TARGET_RATIO_C64" \
    "$(verdict 'a>=b' "$r64" "$TARGET_RATIO_C64")"
  printf '%-44s %10s   target <= %-8s %s\n' "(c) p50 added over (a) at c$C_LOW, µs" "$add50" "$TARGET_ADD_P50_US" \
    "$(verdict 'a<=b' "$add50" "$TARGET_ADD_P50_US")"
  printf '%-44s %10s   target <= %-8s %s\n' "(c) p99 added over (a) at c$C_LOW, µs" "$add99" "$TARGET_ADD_P99_US" \
    "$(verdict 'a<=b' "$add99" "$TARGET_ADD_P99_US")"
  printf '%-44s %10s   target >= %-8s %s\n' "(c)/(b) req/s, ${SLOW_MS} ms upstream, c$SLOW_CONNECTIONS" "$rslow" \
    "$TARGET_RATIO_SLOW" "$(verdict 'a>=b' "$rslow" "$TARGET_RATIO_SLOW")"
  printf '%-44s %10s   target <  %-8s %s\n' "gateway peak RSS (VmHWM), MB" "$rss_max" "$TARGET_RSS_MB" \
    "$(verdict 'a<b' "$rss_max" "$TARGET_RSS_MB")"
  echo "  (VmHWM: fast instance $RSS_FAST kB, slow instance $RSS_SLOW kB)"
  echo "context: (b) adds ${nadd50} µs p50 and ${nadd99} µs p99 over (a) at c$C_LOW;" \
    "(c)/(b) req/s at c$C_LOW $(ratio "gateway-c$C_LOW" "nginx-c$C_LOW"); (b)/(a) at c$C_HIGH $(ratio "nginx-c$C_HIGH" "direct-c$C_HIGH")"

  spread=$(collect "nginx-c$C_HIGH" rps | spread_pct)
  load_after=$(load1)
  echo "noise: nginx proxy c$C_HIGH req/s varies ${spread}% across rounds; load ${LOAD_BEFORE} before, ${load_after} after"
  awk -v s="$spread" -v a="$LOAD_BEFORE" -v b="$load_after" -v n="$(nproc)" \
    'BEGIN{exit !(s>15 || a>n || b>n*2.5)}' &&
    echo "WARNING: noisy run (another process used the CPU?): rerun on a quiet machine before trusting it"
} | tee "$WORK/summary.txt"
[[ -n $RESULTS_DIR ]] && cp "$WORK/summary.txt" "$RESULTS_DIR/summary.txt"

for n in fast slow; do
  kill -0 "${GW_PID[$n]}" 2>/dev/null || echo "WARNING: the gateway ($n) exited during the benchmark" >&2
done
grep -h -E '\[(error|crit|alert|emerg)\]' "$UP/logs/error.log" "$PX/logs/error.log" 2>/dev/null | head -5 |
  sed 's/^/nginx error log: /'
exit 0
