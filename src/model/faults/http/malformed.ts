/** HTTP `malformed`: a 200 with the JSON content type and a body that does not parse: the real one cut short, or garbage. */
import Type from 'typebox';
import { FAULT_HEADER, passOn, real } from '../http-stage.ts';
import { httpFault, rate, rateOf, type HttpScoped, type RequestKind } from '../kind.ts';

export interface HttpMalformedFault extends HttpScoped {
  kind: 'malformed';
  style: 'truncated' | 'garbage';
}

/** A 200 with the JSON content type and a body that is not JSON: the real one cut short, or garbage. */
export interface MalformedAction {
  kind: 'malformed';
  style: 'truncated' | 'garbage';
}

const schema = httpFault('malformed', 'answer 200 with the JSON content type and a body that is not JSON.', {
  style: Type.Optional(
    Type.Union([Type.Literal('truncated'), Type.Literal('garbage')], {
      description: 'truncated: the real body cut in half; garbage: almost-JSON that does not parse. Default truncated.',
    }),
  ),
  rate: rate('Share of requests answered so. Default 100%.'),
});

const GARBAGE = `{"status": "ok", "data": [1, 2, 3,], 'note': undefined`;

export const malformed: RequestKind<HttpMalformedFault, MalformedAction, typeof schema> = {
  layer: 'http',
  kind: 'malformed',
  scope: 'request',
  schema,
  ramps: { rate: 'rate' },
  normalize: (f, common) => ({ ...common, layer: 'http', kind: 'malformed', style: f.style ?? 'truncated', rate: rateOf(f.rate) }),
  plan: (f) => ({ kind: 'malformed', style: f.style }),
  async act(f, request, ctx) {
    let text = GARBAGE;
    if (f.style === 'truncated') {
      const got = await real(request, ctx);
      if (passOn(got)) return got;
      const whole = new TextDecoder().decode(got.body);
      const cut = whole.slice(0, Math.max(1, Math.floor(whole.length / 2)));
      text = isJson(cut) ? GARBAGE : cut; // a prefix of an object never parses; a bare number might
    }
    return new Response(text, { status: 200, headers: { 'content-type': 'application/json', [FAULT_HEADER]: f.name } });
  },
};

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
