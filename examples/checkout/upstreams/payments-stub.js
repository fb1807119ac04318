// A payments stub of the kind teams run in CI (stripe-mock, WireMock, a staging double): a
// real server on its own port. checkout-stub-upstream.yaml names it as a `url:` provider, and
// faultline puts a Toxiproxy proxy and an HTTP fault stage in front of it.
//
//   node examples/checkout/upstreams/payments-stub.js        # listens on 127.0.0.1:12111 (PORT to change)
import { createServer } from 'node:http';

const PORT = Number(process.env.PORT ?? 12111);
let seq = 0;

const server = createServer((req, res) => {
  let data = '';
  req.on('data', (c) => (data += c));
  req.on('end', () => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/charges') {
      res.writeHead(404, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: `no route ${req.method} ${path}` }));
    }
    let amount;
    try {
      amount = JSON.parse(data).amount;
    } catch {}
    if (typeof amount !== 'number' || amount <= 0) {
      res.writeHead(400, { 'content-type': 'application/json' });
      return res.end(JSON.stringify({ error: 'amount must be a positive number' }));
    }
    res.writeHead(201, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ id: `ch_stub_${++seq}`, amount, status: 'succeeded' }));
  });
});

server.listen(PORT, '127.0.0.1', () => console.log(`payments stub on http://127.0.0.1:${server.address().port}`));
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
