-- wrk script for bench/mock_vs_nginx.sh: POSTs a small chat completion to every target and
-- prints one machine-readable result line that the shell script parses.
--
-- Environment:
--   AGW_BENCH_BODY  the request body (default: a one-message chat for mock-1)
--   AGW_BENCH_KEY   sent as "Authorization: Bearer <key>" when set (gateways that need a key)

wrk.method = "POST"
wrk.body = os.getenv("AGW_BENCH_BODY")
if wrk.body == nil or wrk.body == "" then
  wrk.body = '{"model":"mock-1","messages":[{"role":"user","content":"hi"}]}'
end
wrk.headers["Content-Type"] = "application/json"
local key = os.getenv("AGW_BENCH_KEY")
if key ~= nil and key ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. key
end

-- Latency figures are in microseconds; duration in microseconds too.
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
