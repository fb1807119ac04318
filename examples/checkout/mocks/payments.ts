// The payments service as MSW request handlers, for runs where no payments stub is up.
// (checkout-stub-upstream.yaml puts faultline in front of a real one instead.)
import { http, HttpResponse } from 'msw';

let seq = 0;

export default [
  http.post('/v1/charges', async ({ request }) => {
    const body = (await request.json().catch(() => null)) as { amount?: unknown } | null;
    if (!body || typeof body.amount !== 'number' || body.amount <= 0) {
      return HttpResponse.json({ error: 'amount must be a positive number' }, { status: 400 });
    }
    return HttpResponse.json({ id: `ch_${++seq}`, amount: body.amount, status: 'succeeded' }, { status: 201 });
  }),
];
