-- wrk script for scripts/loadtest.py: each connection walks a list of URLs (one a line,
-- in the file named after `--`), starting at a random place; answers other than 200
-- are counted; at the end one JSON line reports the figures.
--
--   wrk -t2 -c50 -d60s --latency -s scripts/loadtest.lua http://127.0.0.1:8000 -- paths.txt

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  math.randomseed(os.time() + #threads)
  position = math.random(#paths)
  unexpected = 0
  -- The reverse proxy's header (docs/operations.md): the app serves HTTPS only.
  wrk.headers["X-Forwarded-Proto"] = "https"
end

function request()
  position = position % #paths + 1
  return wrk.format("GET", paths[position])
end

function response(status, headers, body)
  if status ~= 200 then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local not_200 = 0
  for _, thread in ipairs(threads) do
    not_200 = not_200 + thread:get("unexpected")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %.3f, "requests_per_second": %.1f, ' ..
    '"p50_ms": %.2f, "p90_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "max_ms": %.2f, ' ..
    '"not_200": %d, "connect_errors": %d, "read_errors": %d, "write_errors": %d, ' ..
    '"timeouts": %d}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(90) / 1000,
    latency:percentile(95) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    not_200, errors.connect, errors.read, errors.write, errors.timeout
  ))
end
