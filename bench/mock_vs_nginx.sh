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
#   BENCH_KEY      a client key to send (default: one made with `ai-gateway create-key`)
#   BENCH_DATABASE_URL  PostgreSQL for the gateway (default: a throwaway cluster from
#                  scripts/services.sh under the temporary directory)
#   NGINX_BIN, WRK_BIN, CURL_BIN  tool paths            (default: from PATH, nginx also /usr/sbin)
set -uo pipefail

BENCH_NAME=mock_vs_nginx
# shellcheck source=bench/lib.sh
source "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lib.sh"

ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-5}
WARMUP=${WARMUP:-2}
IO_THREADS=${IO_THREADS:-2}
NGINX_WORKERS=${NGINX_WORKERS:-$IO_THREADS}
read -r C_LOW C_HIGH <<<"${CONCURRENCY:-1 64}"

# Targets (printed as PASS/MISS; never change the exit code).
TARGET_RATIO=0.30   # gateway req/s ≥ 0.30 × nginx req/s at the high concurrency
TARGET_P99_MS=5     # gateway p99 at the high concurrency < 5 ms

REQUEST_BODY='{"model":"mock-1","messages":[{"role":"user","content":"hi"}]}'

bench_init

# ---------------------------------------------------------------------------------------------
# Gateway: mock provider, no rate limits, and an unlimited client key (auth on the path).
start_postgres
GW_PORT=$(free_port)
start_gateway mock "$GW_PORT" DEFAULT_PROVIDER=mock DEFAULT_RPM=0 DEFAULT_TPM=0
create_key

GW_URL="http://127.0.0.1:$GW_PORT/v1/chat/completions"
status=$("$CURL_BIN" -s -o "$WORK/body.json" -w '%{http_code}' -X POST \
  -H 'Content-Type: application/json' -H "Authorization: Bearer $BENCH_KEY" \
  --data-binary "$REQUEST_BODY" "$GW_URL")
[[ $status == 200 ]] || { cat "$WORK/body.json" >&2; echo >&2; die "gateway answered $status to the chat request"; }
BODY=$(<"$WORK/body.json")
[[ -n $BODY ]] || die "empty chat completion body"

# ---------------------------------------------------------------------------------------------
# nginx: the same body, statically, for POST /v1/chat/completions.
NGINX_PORT=$(free_port)
NGX="$WORK/nginx"
mkdir -p "$NGX"
{
  nginx_main_common "$NGX" "$NGINX_WORKERS"
  echo "http {"
  nginx_http_common "$NGX"
  cat <<EOF
  server {
    listen 127.0.0.1:$NGINX_PORT;
    location = /v1/chat/completions {
      default_type application/json;
      return 200 '$(nginx_quote "$BODY")';
    }
    location / { return 404; }
  }
}
EOF
} >"$NGX/nginx.conf"
start_nginx static "$NGX" "http://127.0.0.1:$NGINX_PORT/"

NGINX_URL="http://127.0.0.1:$NGINX_PORT/v1/chat/completions"
nginx_body=$("$CURL_BIN" -s -X POST -H 'Content-Type: application/json' \
  --data-binary "$REQUEST_BODY" "$NGINX_URL")
[[ $nginx_body == "$BODY" ]] || die "nginx does not return the captured body byte for byte"

# ---------------------------------------------------------------------------------------------
# Rounds
declare -A URL=([gateway]=$GW_URL [nginx]=$NGINX_URL)
CPU_PIDS=""   # no CPU accounting here
run_case() {  # target conc seconds out
  local threads=1
  (($2 > 1)) && threads=2
  run_wrk "$4" "$threads" "$2" "$3" "${URL[$1]}" POST "$REQUEST_BODY" "$BENCH_KEY"
}

echo "ai-gateway vs nginx (static), POST /v1/chat/completions"
echo "  gateway : $AGW_BIN, $(binary_line)"
echo "            mock provider, IO_THREADS=$IO_THREADS, ACCESS_LOG=false, LOG_LEVEL=warn${AGW_EXTRA_ENV:+, $AGW_EXTRA_ENV}"
echo "            client key on every request (auth on the path), $PG_NOTE"
echo "  nginx   : $("$NGINX_BIN" -v 2>&1 | sed 's/.*: //'), worker_processes $NGINX_WORKERS, access_log off, return 200 of the same ${#BODY}-byte body"
echo "  wrk     : -t1 at c$C_LOW, -t2 at c$C_HIGH, ${DURATION}s per run, $ROUNDS interleaved rounds, --latency"
echo "  host    : $(host_line)"
echo "  raw     : ${RESULTS_DIR:-(not kept; set RESULTS_DIR to keep)}"
LOAD_BEFORE=$(load1)
echo "  load    : $LOAD_BEFORE (1-min average before the first run)"
echo

if ((WARMUP > 0)); then
  echo "warm-up: ${WARMUP}s per target at c$C_HIGH"
  run_case nginx "$C_HIGH" "$WARMUP" "$RAW_DIR/warmup-nginx.txt"
  run_case gateway "$C_HIGH" "$WARMUP" "$RAW_DIR/warmup-gateway.txt"
fi

CASES=("nginx-c$C_LOW" "gateway-c$C_LOW" "nginx-c$C_HIGH" "gateway-c$C_HIGH")
for ((r = 1; r <= ROUNDS; r++)); do
  line="round $r/$ROUNDS:"
  for cs in "${CASES[@]}"; do
    out="$RAW_DIR/r$r-$cs.txt"
    run_case "${cs%-c*}" "${cs##*-c}" "$DURATION" "$out"
    rps=$(field "$out" rps)
    [[ -n $rps ]] || { echo; cat "$out" >&2; die "wrk produced no result for ${cs%-c*} c${cs##*-c}"; }
    line+=$(printf '  %s c%s %.0f/s' "${cs%-c*}" "${cs##*-c}" "$rps")
  done
  echo "$line"
done
echo

declare -A RPS P50 P99
{
  printf '%-8s %5s %12s %10s %10s %10s  %s\n' target conc "req/s" "p50 ms" "p99 ms" "non-2xx" \
    "req/s per round"
  for cs in "${CASES[@]}"; do
    RPS[$cs]=$(collect "$cs" rps | median)
    P50[$cs]=$(collect "$cs" p50_us | median)
    P99[$cs]=$(collect "$cs" p99_us | median)
    printf '%-8s %5s %12.0f %10.3f %10.3f %10s  %s\n' "${cs%-c*}" "${cs##*-c}" "${RPS[$cs]}" \
      "$(awk -v u="${P50[$cs]}" 'BEGIN{print u/1000}')" "$(awk -v u="${P99[$cs]}" 'BEGIN{print u/1000}')" \
      "$(errors_of "$cs")" "$(collect "$cs" rps | awk '{printf "%s%.0f", (NR>1?" ":""), $1}')"
  done
  echo "(medians across $ROUNDS rounds; non-2xx also counts socket errors and timeouts)"
  echo

  ratio() { awk -v a="${RPS[$1]}" -v b="${RPS[$2]}" 'BEGIN{printf "%.3f", (b>0 ? a/b : 0)}'; }
  r_high=$(ratio "gateway-c$C_HIGH" "nginx-c$C_HIGH")
  p99_ms=$(awk -v u="${P99[gateway-c$C_HIGH]}" 'BEGIN{printf "%.3f", u/1000}')
  echo "gateway/nginx req/s at c$C_LOW : $(ratio "gateway-c$C_LOW" "nginx-c$C_LOW") (informational)"
  echo "gateway/nginx req/s at c$C_HIGH: $r_high   target >= $TARGET_RATIO  $(verdict 'a>=b' "$r_high" "$TARGET_RATIO")"
  echo "gateway p99 at c$C_HIGH        : $p99_ms ms   target < $TARGET_P99_MS ms  $(verdict 'a<b' "$p99_ms" "$TARGET_P99_MS")"

  # Noise check: nginx's own spread across rounds, and the machine's load. A static server
  # that varies a lot means something else took the CPU; the figures are then unreliable.
  spread=$(collect "nginx-c$C_HIGH" rps | spread_pct)
  load_after=$(load1)
  echo "noise: nginx c$C_HIGH req/s varies ${spread}% across rounds; load ${LOAD_BEFORE} before, ${load_after} after"
  awk -v s="$spread" -v a="$LOAD_BEFORE" -v b="$load_after" -v n="$(nproc)" \
    'BEGIN{exit !(s>15 || a>n || b>n*2.5)}' &&
    echo "WARNING: noisy run (another process used the CPU?): rerun on a quiet machine before trusting it"
} | tee "$WORK/summary.txt"
[[ -n $RESULTS_DIR ]] && cp "$WORK/summary.txt" "$RESULTS_DIR/summary.txt"

kill -0 "${GW_PID[mock]}" 2>/dev/null ||
  echo "WARNING: the gateway exited during the benchmark; see ${RESULTS_DIR:-its log}" >&2
exit 0
