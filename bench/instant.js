// The load tool's own floor: `node instant.js PORT BYTES` answers every request at once with
// BYTES of JSON and closes the connection, as a sync gunicorn worker does. fixed_rate.js against
// it measures what the tool and the machine add to a latency when no app runs at all.
'use strict'
const http = require('http')

const [port, bytes] = process.argv.slice(2)
const body = Buffer.alloc(Number(bytes), ' ')
http
  .createServer((request, response) => {
    request.resume()
    response.writeHead(200, { 'Content-Type': 'application/json', Connection: 'close' })
    response.end(body)
  })
  .listen(Number(port), '127.0.0.1')
