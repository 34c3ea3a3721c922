-- Loaded by tests/test_load.py into wrk: each connection cycles through the paths given after
-- `--`, and every answer is counted by status ("wrk-status <status> <count>", as
-- bench/wrk_status.lua prints them) and checked for a database that said it was locked or busy
-- ("wrk-locked <count>").

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  paths = args
  statuses = {}
  locked = 0
  n = math.random(#paths)
end

function request()
  n = n % #paths + 1
  return wrk.format("GET", paths[n])
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if body and (body:find("database is locked", 1, true) or body:find("Database busy", 1, true)) then
    locked = locked + 1
  end
end

function done(summary, latency, requests)
  local total = 0
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      io.write(string.format("wrk-status %d %d\n", status, count))
    end
    total = total + thread:get("locked")
  end
  io.write(string.format("wrk-locked %d\n", total))
end
