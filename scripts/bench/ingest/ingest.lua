-- wrk script of scripts/bench-ingest.sh: posts pre-signed GitHub deliveries,
-- each exactly once, and counts the answers.
--
--   wrk -t T -c C -d LIMIT -s ingest.lua URL -- PREFIX DONE_FILE T
--
-- Thread n sends the requests of PREFIX.n (written by gen_requests.py; the
-- slices are disjoint). When a thread has handed out its whole slice, a
-- connection that asks for another request gets an empty one: nothing is
-- written, nothing is answered, nothing enters wrk's statistics. When the
-- thread has received an answer for every request of its slice it stops;
-- when the last thread stops, the script interrupts wrk (SIGINT, as ^C would)
-- so that the run ends when the requests are exhausted, not at LIMIT. The
-- rate is measured here, from the first request a thread sends to the last
-- answer any thread receives (wrk's own Requests/sec divides by the time
-- until it was interrupted, which is close but not the same).

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *ts);
  int kill(int pid, int sig);
  int getpid(void);
]]

local CLOCK_MONOTONIC = 1
local SIGINT = 2

local function now()
  local ts = ffi.new("bench_timespec")
  ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

-- In the main script state: every thread, numbered as it is set up.
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

-- In each thread's state.
function init(args)
  local prefix, total = args[1], tonumber(args[3])
  done_file = args[2]
  threads_total = total
  requests = {}
  local file = assert(io.open(prefix .. "." .. id, "rb"))
  local data = file:read("*a")
  file:close()
  local pos = 1
  while pos <= #data do
    local newline = data:find("\n", pos, true)
    local event, delivery, signature, length = data:sub(pos, newline - 1):match("^(%S+) (%S+) (%S+) (%d+)$")
    length = tonumber(length)
    local body = data:sub(newline + 1, newline + length)
    pos = newline + 1 + length
    requests[#requests + 1] = wrk.format("POST", "/hooks/github", {
      ["Content-Type"] = "application/json",
      ["User-Agent"] = "GitHub-Hookshot/bench",
      ["X-GitHub-Event"] = event,
      ["X-GitHub-Delivery"] = delivery,
      ["X-GitHub-Hook-ID"] = "1",
      ["X-Hub-Signature-256"] = signature,
    }, body)
  end
  slice = #requests
  sent, answered, ok, failed = 0, 0, 0, 0
  statuses = {}
  started, finished = 0, 0
end

function request()
  -- wrk 4 calls request() once on its first thread before any connection
  -- opens, to check what it returns (script_verify_request); that request
  -- is never sent, so it does not use one up. (A wrk that did not check
  -- would send the first request twice: the duplicate's 2xx would then
  -- outnumber the stored events, and the check fails rather than pass.)
  if id == 0 and not verified then
    verified = true
    return requests[1]
  end
  if sent >= slice then
    return ""
  end
  sent = sent + 1
  if sent == 1 then
    started = now()
  end
  return requests[sent]
end

local function all_threads_done()
  local file = assert(io.open(done_file, "a"))
  file:write(id, "\n")
  file:close()
  local lines = 0
  for _ in io.lines(done_file) do
    lines = lines + 1
  end
  return lines >= threads_total
end

function response(status, headers, body)
  answered = answered + 1
  if status >= 200 and status < 300 then
    ok = ok + 1
  else
    failed = failed + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
  if answered == slice then
    finished = now()
    if all_threads_done() then
      ffi.C.kill(ffi.C.getpid(), SIGINT)
    end
    wrk.thread:stop()
  end
end

local function status_text(counts)
  local parts = {}
  for status, count in pairs(counts) do
    parts[#parts + 1] = status .. "=" .. count
  end
  table.sort(parts)
  return table.concat(parts, ",")
end

function done(summary, latency, _)
  local total = { slice = 0, sent = 0, answered = 0, ok = 0, failed = 0 }
  local first, last = math.huge, 0
  local failures = {}
  for _, thread in ipairs(threads) do
    for key in pairs(total) do
      total[key] = total[key] + (thread:get(key) or 0)
    end
    local started, finished = thread:get("started"), thread:get("finished")
    if started > 0 and started < first then first = started end
    if finished > last then last = finished end
    if finished == 0 then last = math.huge end
    for status, count in pairs(thread:get("statuses") or {}) do
      failures[status] = (failures[status] or 0) + count
    end
  end
  local seconds = last - first
  if seconds == math.huge then
    seconds = -1 -- a thread never received all its answers
  end
  local errors = summary.errors
  -- One line of key=value pairs for scripts/bench-ingest.sh to read.
  io.write(string.format(
    "BENCH requests=%d sent=%d answered=%d ok=%d non2xx=%d statuses=%s seconds=%.3f rate=%.1f "
      .. "p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f "
      .. "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d\n",
    total.slice, total.sent, total.answered, total.ok, total.failed, status_text(failures),
    seconds, seconds > 0 and total.ok / seconds or 0,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.connect, errors.read, errors.write, errors.timeout))
end
