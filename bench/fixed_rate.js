// Fixed-rate load with autocannon: `node fixed_rate.js BASE_URL URL_FILE RATE SECONDS CONNECTIONS`.
// Sends RATE requests per second in all (autocannon's overallRate), rotating over the paths of
// URL_FILE (one per line: a path, then optionally a tab and an If-None-Match value), and prints
// one JSON line: latency percentiles in ms (corrected for coordinated omission), status counts.
'use strict'
const fs = require('fs')
const autocannon = require('autocannon')

const [base, file, rate, seconds, connections] = process.argv.slice(2)
const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t'))
let next = Math.floor(lines.length / 2) // start where wrk did not, so neither warms the other's rows

autocannon(
  {
    url: base,
    connections: Number(connections),
    duration: Number(seconds),
    overallRate: Number(rate),
    timeout: 10,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          const [path, etag] = lines[next]
          next = (next + 1) % lines.length
          request.path = path
          request.headers = etag ? { ...request.headers, 'if-none-match': etag } : request.headers
          return request
        }
      }
    ]
  },
  (error, result) => {
    if (error) {
      console.error(error)
      process.exit(2)
    }
    const statuses = {}
    for (const [status, { count }] of Object.entries(result.statusCodeStats)) statuses[status] = count
    console.log(JSON.stringify({
      requests: result.requests.total,
      duration_s: result.duration,
      rate_sent: result.requests.average,
      p50_ms: result.latency.p50,
      p90_ms: result.latency.p90,
      p99_ms: result.latency.p99,
      max_ms: result.latency.max,
      errors: result.errors,
      timeouts: result.timeouts,
      statuses
    }))
  }
)
