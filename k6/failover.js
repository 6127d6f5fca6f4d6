// Failover under load: the primary fails 30 % of requests with 503, the secondary is healthy;
// the client must see no error at all.
//
// The gateway needs a chain flaky -> healthy, e.g. (scripts/bench --k6 writes and starts exactly this):
//
//   oxllm mock -port 9090                                   # healthy
//   oxllm mock -port 9091 --fail-rate 0.3 --fail-status 503 # flaky
//
//   [breaker]
//   failure_threshold = 1000000    # keep the flaky provider in play (see failed_over below)
//   [[providers]]
//   name = "flaky"
//   base_url = "http://127.0.0.1:9091/v1"
//   models = ["bench-flaky"]
//   [[providers]]
//   name = "mock"
//   base_url = "http://127.0.0.1:9090/v1"
//   models = ["bench"]
//   [virtual_models]
//   bench-failover = [ { provider = "flaky", model = "bench" }, { provider = "mock", model = "bench" } ]
//
//   k6 run -e OXLLM_URL=http://127.0.0.1:8080 k6/failover.js
//
// Every fourth request streams (the failover happens before the stream's first event, so it must
// be invisible too). Environment: OXLLM_URL (default http://127.0.0.1:8080), OXLLM_MODEL (default
// "bench-failover"), OXLLM_API_KEY, RATE (requests per second, default 200), DURATION (default 30s).
// Metrics: failed_over (share of answers with x-oxllm-attempts > 1). With the default breaker
// the flaky provider's circuit opens after 3 consecutive failures and requests skip it for a
// while, so failed_over stays far below 30 %; scripts/bench --k6 sets
// [breaker] failure_threshold = 1000000 so that about 30 % of the requests really fail over.
import http from 'k6/http';
import { check, fail } from 'k6';
import { Rate } from 'k6/metrics';

const BASE = (__ENV.OXLLM_URL || 'http://127.0.0.1:8080').replace(/\/+$/, '');
const MODEL = __ENV.OXLLM_MODEL || 'bench-failover';
const RATE = parseInt(__ENV.RATE || '200', 10);
const DURATION = __ENV.DURATION || '30s';

const failedOver = new Rate('failed_over');
const streamComplete = new Rate('stream_complete');

export const options = {
  scenarios: {
    failover: {
      executor: 'constant-arrival-rate',
      rate: RATE,
      timeUnit: '1s',
      duration: DURATION,
      preAllocatedVUs: Math.min(Math.max(Math.ceil(RATE / 4), 8), 200),
      maxVUs: 500,
    },
  },
  thresholds: {
    http_req_failed: ['rate==0'],
    checks: ['rate==1'],
    stream_complete: ['rate==1'],
  },
  summaryTrendStats: ['avg', 'med', 'p(90)', 'p(99)', 'max'],
};

const headers = { 'Content-Type': 'application/json' };
if (__ENV.OXLLM_API_KEY) headers.Authorization = `Bearer ${__ENV.OXLLM_API_KEY}`;

function chatBody(stream) {
  return JSON.stringify({
    model: MODEL,
    stream,
    messages: [{ role: 'user', content: 'Say hello in five words, please, and nothing else at all.' }],
    max_tokens: 32,
  });
}
const plain = chatBody(false);
const streaming = chatBody(true);

export function setup() {
  const res = http.get(`${BASE}/healthz`);
  if (res.status !== 200) fail(`${BASE}/healthz answered ${res.status}: is the gateway running?`);
}

export default function () {
  const stream = __ITER % 4 === 3;
  const res = http.post(`${BASE}/v1/chat/completions`, stream ? streaming : plain, {
    headers,
    responseType: 'text',
    tags: { name: stream ? 'failover-stream' : 'failover' },
  });
  const attempts = parseInt(res.headers['X-Oxllm-Attempts'] || '1', 10);
  failedOver.add(attempts > 1);
  const text = typeof res.body === 'string' ? res.body : '';
  if (stream) streamComplete.add(res.status === 200 && text.includes('data: [DONE]'));
  check(res, {
    'status is 200': (r) => r.status === 200,
    'complete answer': () => (stream ? text.includes('data: [DONE]') : text.includes('"choices"')),
  });
}
