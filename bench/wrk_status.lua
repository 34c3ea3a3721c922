-- Loaded by bench/run.py into every wrk run: counts the answers of each HTTP status, so that the
-- runner can check every response was the one expected (2xx, or 304 for conditional requests).
-- Prints one line per status after wrk's own report: "wrk-status <status> <count>".

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      io.write(string.format("wrk-status %d %d\n", status, count))
    end
  end
end
