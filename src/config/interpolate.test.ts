import { describe, expect, it } from 'vitest';
import Type from 'typebox';
import { inspectYaml } from './load.ts';
import { interpolateString, lookupIn } from './interpolate.ts';

const vars = lookupIn({ HOST: 'api.test', EMPTY: '' }, { PORT: '8080', HOST: 'from-env' });

describe('interpolateString', () => {
  it('replaces ${NAME} from the variables first, then the environment', () => {
    expect(interpolateString('http://${HOST}:${PORT}/x', vars)).toEqual({ value: 'http://api.test:8080/x', problems: [] });
  });

  it('takes ${NAME:-default} when the variable is unset or empty', () => {
    expect(interpolateString('${NOPE:-127.0.0.1}|${EMPTY:-e}|${HOST:-x}|${NOPE:-}', vars).value).toBe('127.0.0.1|e|api.test|');
  });

  it('leaves $${ as a literal ${ and {{...}} templates alone', () => {
    expect(interpolateString('$${HOST} {{providers.payments.url}} $5', vars).value).toBe('${HOST} {{providers.payments.url}} $5');
  });

  it('reports an undefined variable and a malformed reference, each at its index', () => {
    const r = interpolateString('a ${MISSING} b ${not valid} ${', vars);
    expect(r.problems.map((p) => [p.index, p.name, p.message.split(' (')[0]])).toEqual([
      [2, 'MISSING', 'undefined variable `MISSING`'],
      [15, undefined, '`${not valid}` is not a variable reference'],
      [28, undefined, 'unclosed `${`: write `${NAME}`, or `$${` for a literal `${`'],
    ]);
  });
});

describe('inspectYaml with variables', () => {
  const schema = Type.Object({ seed: Type.Integer(), rate: Type.String({ pattern: '/s$' }), url: Type.String(), quoted: Type.Optional(Type.String()) }, { additionalProperties: false });

  it('interpolates values after parsing, keeps positions, and reads an unquoted value again as YAML', () => {
    const text = 'seed: ${SEED}\nrate: ${RATE:-20/s}\nurl: "http://${HOST}"\nquoted: "${SEED}"\n';
    const r = inspectYaml(text, 's.yaml', schema, { vars: lookupIn({ SEED: '7', HOST: 'h' }) });
    expect(r.issues).toEqual([]);
    expect(r.value).toEqual({ seed: 7, rate: '20/s', url: 'http://h', quoted: '7' });
  });

  it('positions an undefined variable at its reference, and does not also report the value it left', () => {
    const text = 'seed: 1\nrate: ${RATE}\nurl: "http://x/${A}/${B}"\n';
    const r = inspectYaml(text, 's.yaml', schema, { vars: lookupIn({ A: 'a' }) });
    expect(r.issues.map((i) => `${i.line}:${i.column} ${i.path} ${i.message.split(' (')[0]}`)).toEqual([
      '2:7 rate undefined variable `RATE`',
      '3:21 url undefined variable `B`',
    ]);
  });

  it('does not touch keys, nor values when no variables are given', () => {
    const r = inspectYaml('seed: 1\nrate: 1/s\nurl: ${X}\n', 's.yaml', schema);
    expect(r.value).toMatchObject({ url: '${X}' });
    expect(r.issues).toEqual([]);
  });
});
