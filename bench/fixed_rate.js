// Fixed-rate load: `node fixed_rate.js BASE_URL URL_FILE RATE SECONDS CONNECTIONS`.
//
// Open loop, as wrk2 does it: request i is due at start + i / RATE, whether or not earlier
// answers have come back, and its latency runs from when it was due (so time spent waiting for
// one of at most CONNECTIONS connections counts: no coordinated omission). Connections are kept
// alive where the server allows it; a sync gunicorn worker closes each one, and a request then
// opens the next (its connection time counted in its latency, as a client's would). It rotates over
// the paths of URL_FILE (one per line: a path, then optionally a tab and an If-None-Match value)
// and prints one JSON line: latency percentiles in ms, status counts.
//
// autocannon's overallRate is not a fixed rate: each connection sends back to back until its
// share of the second is used up, then waits for the next second (mcollina/autocannon#174), so at
// "half the peak" the server is saturated for half of every second.
'use strict'
const fs = require('fs')
const http = require('http')
const hdr = require('hdr-histogram-js')

const [base, file, rate, seconds, connections] = process.argv.slice(2)
const lines = fs.readFileSync(file, 'utf8').split('\n').filter(Boolean).map((line) => line.split('\t'))
let next = Math.floor(lines.length / 2) // start where wrk did not, so neither warms the other's rows

const { hostname, port } = new URL(base)
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(connections) })
const interval = 1000 / Number(rate) // ms between due times
const total = Math.max(1, Math.round(Number(rate) * Number(seconds)))
const latencies = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60e6 }) // µs
const statuses = {}
let sent = 0
let finished = 0
let errors = 0
let timeouts = 0
const start = performance.now()

function send (due) {
  const [path, etag] = lines[next]
  next = (next + 1) % lines.length
  const headers = etag ? { 'if-none-match': etag } : {}
  const request = http.request({ hostname, port, path, headers, agent, timeout: 10000 }, (response) => {
    response.resume()
    response.on('end', () => {
      statuses[response.statusCode] = (statuses[response.statusCode] || 0) + 1
      latencies.recordValue(Math.max(1, Math.round((performance.now() - due) * 1000)))
      finish()
    })
  })
  request.on('timeout', () => {
    timeouts++
    request.destroy(new Error('timeout'))
  })
  request.on('error', () => {
    errors++
    finish()
  })
  request.end()
}

function tick () {
  const now = performance.now()
  while (sent < total && start + sent * interval <= now) {
    send(start + sent * interval)
    sent++
  }
  if (sent < total) setTimeout(tick, Math.max(0, start + sent * interval - performance.now()))
}

function finish () {
  finished++
  if (finished < total) return
  const duration = (performance.now() - start) / 1000
  const ms = (percentile) => latencies.getValueAtPercentile(percentile) / 1000
  console.log(JSON.stringify({
    requests: total,
    duration_s: duration,
    rate_sent: total / Number(seconds),
    p50_ms: ms(50),
    p90_ms: ms(90),
    p99_ms: ms(99),
    max_ms: latencies.maxValue / 1000,
    errors: errors - timeouts,
    timeouts,
    statuses
  }))
  agent.destroy()
}

tick()
