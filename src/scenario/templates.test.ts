import { describe, expect, it } from 'vitest';
import { checkTemplates, expandTemplates, providerEnv, providerEnvName, templateVars } from './templates.ts';

const endpoints = [
  { provider: 'payments', address: '127.0.0.1:40001' },
  { provider: 'stripe-eu', region: 'eu', address: '127.0.0.1:40002' },
  { provider: 'stripe-eu', region: 'us-east', address: '127.0.0.1:40003' },
];

describe('templates', () => {
  it('expands provider and target names, spaces allowed', () => {
    const vars = templateVars(endpoints, 'http://127.0.0.1:3000');
    expect(expandTemplates('{{providers.payments.url}}/v1 {{ providers.stripe-eu.us-east.port }} {{target.port}} {{target.url}}', vars)).toBe(
      'http://127.0.0.1:40001/v1 40003 3000 http://127.0.0.1:3000',
    );
    expect(vars['providers.stripe-eu.eu.host']).toBe('127.0.0.1');
    expect(() => expandTemplates('{{nope}}', vars)).toThrow(/unknown template \{\{nope\}\}/);
  });

  it('names every provider in the environment, upper case with underscores, per region', () => {
    expect(providerEnv(endpoints)).toEqual({
      FAULTLINE_PROVIDER_PAYMENTS_URL: 'http://127.0.0.1:40001',
      FAULTLINE_PROVIDER_STRIPE_EU_EU_URL: 'http://127.0.0.1:40002',
      FAULTLINE_PROVIDER_STRIPE_EU_US_EAST_URL: 'http://127.0.0.1:40003',
    });
    expect(providerEnvName('quotes')).toBe('FAULTLINE_PROVIDER_QUOTES_URL');
  });

  it('says what is wrong with an unknown name', () => {
    const providers = new Map([
      ['payments', []],
      ['stripe', ['eu', 'us']],
    ]);
    expect(checkTemplates('{{providers.payments.url}} {{providers.stripe.us.host}} {{target.host}}', providers)).toEqual([]);
    expect(checkTemplates('{{providers.stripe.port}}', providers)).toEqual([
      '{{providers.stripe.port}}: provider `stripe` has regions (eu, us); name one, like {{providers.stripe.eu.port}}',
    ]);
    expect(checkTemplates('{{providers.paymnts.url}}', providers)).toEqual(['{{providers.paymnts.url}}: unknown provider `paymnts` (did you mean `payments`?)']);
    expect(checkTemplates('{{providers.payments.uri}}', providers)[0]).toMatch(/^unknown template \{\{providers.payments.uri\}\} \(did you mean \{\{providers.payments.url\}\}\?\)/);
  });
});
