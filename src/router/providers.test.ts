import { describe, expect, it } from 'vitest';
import { parseProviderKey, ProviderRegistry } from './providers.ts';

describe('ProviderRegistry', () => {
  const providers = [
    { key: 'stripe@eu', name: 'stripe', region: 'eu', url: 'http://eu' },
    { key: 'stripe@us', name: 'stripe', region: 'us', url: 'http://us' },
    { key: 'adyen', name: 'adyen', url: 'http://adyen' },
  ];

  it('finds providers by key, name and region', () => {
    const r = new ProviderRegistry(providers);
    expect(r.get('stripe@eu')?.url).toBe('http://eu');
    expect(r.byName('stripe').map((p) => p.key)).toEqual(['stripe@eu', 'stripe@us']);
    expect(r.inRegion('us').map((p) => p.key)).toEqual(['stripe@us']);
  });

  it('overrides URLs by key, or every region by bare name, and sets aside keys it does not know', () => {
    const r = new ProviderRegistry(providers, { 'stripe@eu': 'http://proxy-eu', adyen: 'http://proxy-adyen', braintree: 'http://b' });
    expect(r.all().map((p) => p.url)).toEqual(['http://proxy-eu', 'http://us', 'http://proxy-adyen']);
    expect(r.unknownOverrides).toEqual(['braintree']);
    const all = new ProviderRegistry(providers, { stripe: 'http://proxy' });
    expect(all.byName('stripe').map((p) => p.url)).toEqual(['http://proxy', 'http://proxy']);
  });

  it('splits keys', () => {
    expect(parseProviderKey('stripe@eu')).toEqual({ name: 'stripe', region: 'eu' });
    expect(parseProviderKey('joke')).toEqual({ name: 'joke' });
  });
});
