-- wrk script: rotate over the requests of a URL file, count statuses other than 200 and 304.
-- Usage: wrk -s rotate.lua URL -- URL_FILE   (URL_FILE: one path per line, optionally followed
-- by a tab and an If-None-Match value). Prints one JSON line when done.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  requests = {}
  for line in io.lines(args[1]) do
    local path, etag = line:match("^([^\t]+)\t?(.*)$")
    local headers = {}
    if etag ~= "" then headers["If-None-Match"] = etag end
    requests[#requests + 1] = wrk.format("GET", path, headers)
  end
  -- Threads start apart in the list; each then walks it in order.
  counter = (id * 7919) % #requests
  bad, last_bad = 0, 0
end

function request()
  counter = counter % #requests + 1
  return requests[counter]
end

function response(status, headers, body)
  if status ~= 200 and status ~= 304 then
    bad = bad + 1
    last_bad = status
  end
end

function done(summary, latency, requests)
  local bad_total, last = 0, 0
  for _, thread in ipairs(threads) do
    bad_total = bad_total + thread:get("bad")
    if thread:get("last_bad") ~= 0 then last = thread:get("last_bad") end
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "bytes": %d, "bad_status": %d, "last_bad_status": %d, '
    .. '"errors": %d, "timeouts": %d, "p50_ms": %.3f, "p99_ms": %.3f}\n',
    summary.requests, summary.duration, summary.bytes, bad_total, last,
    errors.connect + errors.read + errors.write, errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
