// Gate on the checkout service's resilience from your own test suite:
//   npx vitest run examples/checkout     (from a project where faultline is installed)
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';
import { runScenario } from 'faultline';
import 'faultline/vitest';

const scenario = (name: string) => fileURLToPath(new URL(`./chaos/${name}`, import.meta.url));

test('checkout survives a payments brown-out and a quotes outage', async () => {
  expect(await runScenario(scenario('checkout.yaml'))).toMeetSLOs();
}, 60_000);

test('without retries and the price-list fallback, the SLOs catch it', async () => {
  expect(await runScenario(scenario('checkout.broken.yaml'))).not.toMeetSLOs();
}, 60_000);
