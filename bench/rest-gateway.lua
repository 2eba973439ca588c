-- wrk script for bench/rest-gateway.sh: POSTs REST_BODY to the URL given on wrk's command line
-- with the bearer token REST_TOKEN, and prints one line the script reads:
--   RESULT <requests/s> <p50 µs> <p99 µs> <non-2xx responses> <socket errors>
wrk.method = "POST"
wrk.body = os.getenv("REST_BODY")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("REST_TOKEN")
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
    local errors = summary.errors
    io.write(string.format("RESULT %.0f %.0f %.0f %d %d\n",
        summary.requests / (summary.duration / 1000000), latency:percentile(50), latency:percentile(99),
        errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
