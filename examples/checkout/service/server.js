// A checkout service, written the way a team writes one: plain Node, no framework, no
// faultline code. It prices a basket with the quotes service and charges it with the
// payments service; both addresses come from the environment, as they would in production.
//
//   POST /checkout  {"sku": "tea", "qty": 2}  →  201 {"order": ..., "amount": ..., "priced": "live" | "cached"}
//   GET  /healthz   →  200 once the service is up
//   GET  /metrics   →  Prometheus text: checkouts, payment attempts, quote fallbacks
//
// Resilience, each switchable off for the broken twin:
//   CHECKOUT_RETRIES   payment attempts after the first (default 3), exponential backoff with full jitter
//   QUOTES_FALLBACK    "on" (default): a quote that fails or takes over 300 ms is priced from the last known price list
import { createServer } from 'node:http';
import { randomUUID } from 'node:crypto';

const PORT = Number(process.env.PORT ?? 3000);
const PAYMENTS_URL = required('PAYMENTS_URL');
const QUOTES_URL = required('QUOTES_URL');
const RETRIES = Number(process.env.CHECKOUT_RETRIES ?? 3);
const FALLBACK = (process.env.QUOTES_FALLBACK ?? 'on') !== 'off';

// Last known prices, in cents: what a cache in front of the quotes service would hold.
const LAST_KNOWN_PRICES = { tea: 450, coffee: 520, cake: 380 };

const counters = { checkouts_ok: 0, checkouts_failed: 0, payment_attempts: 0, quote_fallbacks: 0 };

function required(name) {
  const v = process.env[name];
  if (!v) {
    console.error(`checkout: ${name} is not set`);
    process.exit(1);
  }
  return v.replace(/\/+$/, '');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function quote(sku) {
  try {
    const res = await fetch(`${QUOTES_URL}/quotes/${encodeURIComponent(sku)}`, { signal: AbortSignal.timeout(300) });
    if (!res.ok) throw new Error(`quotes answered ${res.status}`);
    const body = await res.json();
    return { price: body.price, priced: 'live' };
  } catch (err) {
    if (!FALLBACK || !(sku in LAST_KNOWN_PRICES)) throw err;
    counters.quote_fallbacks++;
    return { price: LAST_KNOWN_PRICES[sku], priced: 'cached' };
  }
}

async function charge(amount, idempotencyKey) {
  for (let attempt = 0; ; attempt++) {
    counters.payment_attempts++;
    try {
      const res = await fetch(`${PAYMENTS_URL}/v1/charges`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
        body: JSON.stringify({ amount, currency: 'eur' }),
        signal: AbortSignal.timeout(500),
      });
      if (res.status < 500) return { status: res.status, body: await res.json() };
      await res.arrayBuffer();
      if (attempt >= RETRIES) return { status: res.status, body: null };
    } catch (err) {
      if (attempt >= RETRIES) throw err;
    }
    // Full jitter (AWS, "Exponential Backoff and Jitter"): a random wait up to 25 ms × 2^attempt.
    await sleep(Math.random() * 25 * 2 ** attempt);
  }
}

async function checkout(req, res) {
  let order;
  try {
    order = JSON.parse(await readBody(req));
  } catch {
    return send(res, 400, { error: 'the body must be JSON: {"sku": "tea", "qty": 1}' });
  }
  const qty = Number.isInteger(order.qty) && order.qty > 0 ? order.qty : 1;
  try {
    const { price, priced } = await quote(String(order.sku));
    const payment = await charge(price * qty, randomUUID());
    if (payment.status !== 201) {
      counters.checkouts_failed++;
      return send(res, 502, { error: `payment failed with ${payment.status}` });
    }
    counters.checkouts_ok++;
    return send(res, 201, { order: payment.body.id, amount: price * qty, priced });
  } catch (err) {
    counters.checkouts_failed++;
    return send(res, 503, { error: `checkout unavailable: ${err.message}` });
  }
}

function metrics(res) {
  const text = [
    '# HELP checkout_requests_total Checkouts by outcome.',
    '# TYPE checkout_requests_total counter',
    `checkout_requests_total{outcome="ok"} ${counters.checkouts_ok}`,
    `checkout_requests_total{outcome="failed"} ${counters.checkouts_failed}`,
    '# HELP payment_attempts_total Calls to the payments service, retries included.',
    '# TYPE payment_attempts_total counter',
    `payment_attempts_total ${counters.payment_attempts}`,
    '# HELP quote_fallbacks_total Baskets priced from the last known price list.',
    '# TYPE quote_fallbacks_total counter',
    `quote_fallbacks_total ${counters.quote_fallbacks}`,
    '',
  ].join('\n');
  res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function send(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method === 'POST' && path === '/checkout') return void checkout(req, res);
  if (req.method === 'GET' && path === '/healthz') return send(res, 200, { ok: true });
  if (req.method === 'GET' && path === '/metrics') return metrics(res);
  send(res, 404, { error: `no route ${req.method} ${path}` });
});

server.listen(PORT, '127.0.0.1', () => console.log(`checkout listening on http://127.0.0.1:${PORT} (payments ${PAYMENTS_URL}, quotes ${QUOTES_URL})`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
