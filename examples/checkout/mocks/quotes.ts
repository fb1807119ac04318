// The quotes service as MSW request handlers: faultline serves them on loopback, counts
// every request they receive, and puts its faults in front of them. A path the handlers do
// not serve answers 404, which the run shows (it is not a success by default).
import { http, HttpResponse } from 'msw';

const PRICES: Record<string, number> = { tea: 450, coffee: 520, cake: 380 };

export default [
  http.get('/quotes/:sku', ({ params }) => {
    const sku = String(params.sku);
    const price = PRICES[sku];
    if (price === undefined) return HttpResponse.json({ error: `no price for ${sku}` }, { status: 404 });
    return HttpResponse.json({ sku, price, currency: 'eur' });
  }),
];
