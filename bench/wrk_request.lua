-- wrk script for bench/mock_vs_nginx.sh, bench/auth_overhead.sh and bench/proxy_vs_nginx.sh: one
-- request (GET or a JSON POST), optionally with a client key, and one machine-readable result
-- line (AGW_RESULT) that bench/lib.sh parses.
--
-- Environment:
--   AGW_BENCH_METHOD  GET or POST                                   (default: POST)
--   AGW_BENCH_BODY    the POST body                                 (default: a chat for mock-1)
--   AGW_BENCH_KEY     sent as "Authorization: Bearer <key>" when set

local method = os.getenv("AGW_BENCH_METHOD")
if method == nil or method == "" then method = "POST" end
wrk.method = method
if method == "POST" then
  wrk.body = os.getenv("AGW_BENCH_BODY")
  if wrk.body == nil or wrk.body == "" then
    wrk.body = '{"model":"mock-1","messages":[{"role":"user","content":"hi"}]}'
  end
  wrk.headers["Content-Type"] = "application/json"
end
local key = os.getenv("AGW_BENCH_KEY")
if key ~= nil and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

-- Latency figures and the duration are in microseconds.
function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format(
    "AGW_RESULT requests=%d duration_s=%.3f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "non2xx=%d connect_err=%d read_err=%d write_err=%d timeouts=%d\n",
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.status, e.connect, e.read, e.write, e.timeout))
end
