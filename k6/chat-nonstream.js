// Non-streaming chat completions at a constant arrival rate.
//
//   k6 run -e OXLLM_URL=http://127.0.0.1:8080 k6/chat-nonstream.js
//
// Environment: OXLLM_URL (base URL of the gateway or of any OpenAI-compatible server; default
// http://127.0.0.1:8080), OXLLM_MODEL (default "bench"), OXLLM_API_KEY (sent as Bearer when set),
// RATE (requests per second, default 500), DURATION (default 30s), P99_MS (p99 threshold, default 50).
// Fails (k6 exits 99) when any request fails or p99 is over P99_MS.
import http from 'k6/http';
import { check, fail } from 'k6';

const BASE = (__ENV.OXLLM_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const MODEL = __ENV.OXLLM_MODEL || 'bench';
const RATE = parseInt(__ENV.RATE || '500', 10);
const DURATION = __ENV.DURATION || '30s';
const P99_MS = parseFloat(__ENV.P99_MS || '50');

export const options = {
  scenarios: {
    chat: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.min(Math.max(Math.ceil(RATE / 50), 8), 200),
      maxVUs: 500,
    },
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    http_req_duration: [`p(99)<${P99_MS}`],
    checks: ['rate==1'],
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
};

const headers = { 'Content-Type': 'application/json' };
if (__ENV.OXLLM_API_KEY) headers.Authorization = `Bearer ${__ENV.OXLLM_API_KEY}`;

const body = JSON.stringify({
  model: MODEL,
  messages: [
    { role: 'system', content: 'You are a concise assistant for a software team.' },
    { role: 'user', content: 'In two sentences: why should an LLM gateway reuse pooled upstream connections instead of opening one per request?' },
  ],
  max_tokens: 128,
  temperature: 0.2,
});

export function setup() {
  const res = http.get(`${BASE}/healthz`);
  if (res.status !== 200) fail(`${BASE}/healthz answered ${res.status}: is the gateway running?`);
}

export default function () {
  const res = http.post(`${BASE}/v1/chat/completions`, body, { headers, tags: { name: 'chat' } });
  check(res, {
    'status is 200': (r) => r.status === 200,
    'has a choice': (r) => {
      try {
        return Array.isArray(r.json('choices')) && r.json('choices').length > 0;
      } catch (e) {
        return false;
      }
    },
  });
}
