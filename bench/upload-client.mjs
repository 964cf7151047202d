// The ingestion benchmark's client, run as its own process so that the server's memory and
// CPU are measured alone: streams an NDJSON file to POST /v1/traces with chunked transfer
// encoding (as a streaming client does, without knowing the length) through node:http,
// which waits for the socket to drain (Node's fetch keeps the whole streamed body in
// memory for a possible redirect). Prints one JSON line per second ({sent, rss}) and a
// last one with the response ({status, body, sent, peakRss}).
//   node bench/upload-client.mjs <url> <bearer key> <file>
import { createReadStream } from 'node:fs';
import { request } from 'node:http';

const [url, key, file] = process.argv.slice(2);
let sent = 0;
let peakRss = 0;
const sample = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return { sent, rss: process.memoryUsage().rss };
};
const ticker = setInterval(() => console.log(JSON.stringify(sample())), 1000);

const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/x-ndjson' } }, (res) => {
  let body = '';
  res.setEncoding('utf8');
  res.on('data', (chunk) => (body += chunk));
  res.on('end', () => {
    clearInterval(ticker);
    sample();
    console.log(JSON.stringify({ status: res.statusCode, body, sent, peakRss }));
  });
});
req.on('error', (error) => {
  clearInterval(ticker);
  console.log(JSON.stringify({ status: 0, body: error.message, sent, peakRss }));
});
const source = createReadStream(file, { highWaterMark: 256 * 1024 });
source.on('data', (chunk) => {
  sent += chunk.length;
  if (!req.write(chunk)) {
    source.pause();
    req.once('drain', () => source.resume());
  }
});
source.on('end', () => req.end());
