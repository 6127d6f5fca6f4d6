// Streaming (SSE) chat completions: time to first token and completeness.
//
//   k6 run -e OXLLM_URL=http://127.0.0.1:8080 k6/chat-stream.js
//
// k6 reads a response whole, so the time to first token is taken from the response timings:
// res.timings.waiting is the time from the request sent to the first byte of the response.
// oxllm holds a stream's response headers until the upstream's first complete SSE event, so
// through the gateway the first byte is the first token. Completeness: `data: [DONE]` seen and no
// error event.
//
// Environment: OXLLM_URL (default http://127.0.0.1:8080), OXLLM_MODEL (default "bench"),
// OXLLM_API_KEY, VUS (concurrent streams, default 64), DURATION (default 30s), TTFT_P99_MS
// (threshold on the p99 time to first token, default 100). Against the oxllm mock directly, pass
// MOCK_HEADERS="x-mock-chunks:20,x-mock-gap-ms:5" to set the stream's shape per request.
import http from 'k6/http';
import { check, fail } from 'k6';
import { Trend, Rate, Counter } from 'k6/metrics';

const BASE = (__ENV.OXLLM_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const MODEL = __ENV.OXLLM_MODEL || 'bench';
const VUS = parseInt(__ENV.VUS || '64', 10);
const DURATION = __ENV.DURATION || '30s';
const TTFT_P99_MS = parseFloat(__ENV.TTFT_P99_MS || '100');

const ttft = new Trend('ttft', true);
const streamComplete = new Rate('stream_complete');
const streamEvents = new Trend('stream_events');
const errorEvents = new Counter('stream_error_events');

export const options = {
  scenarios: {
    streams: { executor: 'constant-vus', vus: VUS, duration: DURATION },
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    stream_complete: ['rate==1'],
    ttft: [`p(99)<${TTFT_P99_MS}`],
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
};

const headers = { 'Content-Type': 'application/json', Accept: 'text/event-stream' };
if (__ENV.OXLLM_API_KEY) headers.Authorization = `Bearer ${__ENV.OXLLM_API_KEY}`;
for (const kv of (__ENV.MOCK_HEADERS || '').split(',')) {
  const i = kv.indexOf(':');
  if (i > 0) headers[kv.slice(0, i).trim()] = kv.slice(i + 1).trim();
}

const body = JSON.stringify({
  model: MODEL,
  stream: true,
  messages: [
    { role: 'system', content: 'You are a concise assistant for a software team.' },
    { role: 'user', content: 'Explain in two sentences why an LLM gateway should stream tokens as soon as they arrive.' },
  ],
  max_tokens: 128,
});

export function setup() {
  const res = http.get(`${BASE}/healthz`);
  if (res.status !== 200) fail(`${BASE}/healthz answered ${res.status}: is the gateway running?`);
}

export default function () {
  const res = http.post(`${BASE}/v1/chat/completions`, body, {
    headers,
    responseType: 'text',
    timeout: '120s',
    tags: { name: 'chat-stream' },
  });
  const text = typeof res.body === 'string' ? res.body : '';
  let events = 0;
  let done = false;
  let errored = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith('data:')) continue;
    events++;
    const payload = line.slice(5).trim();
    if (payload === '[DONE]') done = true;
    else if (payload.startsWith('{"error"')) errored = true;
  }
  const ok = res.status === 200 && done && !errored;
  if (res.status === 200) ttft.add(res.timings.waiting);
  streamEvents.add(events);
  streamComplete.add(ok);
  if (errored) errorEvents.add(1);
  check(res, {
    'status is 200': (r) => r.status === 200,
    'is an event stream': (r) => String(r.headers['Content-Type'] || '').startsWith('text/event-stream'),
    '[DONE] seen': () => done,
    'no error event': () => !errored,
  });
}
