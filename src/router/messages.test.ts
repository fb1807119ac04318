import { describe, expect, it } from 'vitest';
import { forwardHeaders, json, PROVIDER_HEADER, responseHeaders } from './messages.ts';

describe('header forwarding', () => {
  it('drops hop-by-hop fields, host, content-length and expect going up; unset fields too', () => {
    const sent = forwardHeaders({
      host: 'router.test',
      connection: 'keep-alive',
      'keep-alive': 'timeout=5',
      'transfer-encoding': 'chunked',
      'content-length': '12',
      expect: '100-continue',
      te: 'trailers',
      accept: 'application/json',
      'x-forwarded-for': ['10.0.0.1', '10.0.0.2'],
      'x-unset': undefined,
    });
    expect(sent).toEqual({ accept: 'application/json', 'x-forwarded-for': ['10.0.0.1', '10.0.0.2'] });
  });

  it('drops hop-by-hop fields coming back, keeping the rest as they are', () => {
    expect(responseHeaders({ 'content-type': 'text/plain', 'content-length': '3', connection: 'close', 'set-cookie': ['a=1', 'b=2'] })).toEqual({
      'content-type': 'text/plain',
      'set-cookie': ['a=1', 'b=2'],
    });
  });
});

describe('json', () => {
  it("is the router's own answer: JSON, from provider none", () => {
    const res = json(503, { error: 'overloaded' });
    expect(res.status).toBe(503);
    expect(res.headers).toEqual({ 'content-type': 'application/json; charset=utf-8', [PROVIDER_HEADER]: 'none' });
    expect(JSON.parse(new TextDecoder().decode(res.body))).toEqual({ error: 'overloaded' });
  });
});
