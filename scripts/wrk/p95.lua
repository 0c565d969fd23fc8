-- Prints p50/p95/p99 latency and non-2xx count after a wrk run.
local errors = 0
response = function(status, headers, body)
  if status >= 300 then errors = errors + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("requests/s=%.1f p50=%.2fms p95=%.2fms p99=%.2fms non2xx=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, errors))
end
