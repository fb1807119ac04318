/**
 * The SLO language: one comparison of a measured expression against a constant.
 *
 *   availability >= 99.5%
 *   p99(latency{route="checkout"}) < 400ms
 *   upstream_requests{provider="weather-backup"} / requests >= 90%
 *   failover_invocations_total{from="weather-primary"} <= 3
 *
 * Grammar (EBNF; spaces may separate any two tokens):
 *
 *   slo           = expr , comparator , threshold ;
 *   comparator    = "<" | "<=" | ">" | ">=" | "==" | "!=" ;      (* also ≤ ≥ ≠ *)
 *   expr          = term , { ( "+" | "-" ) , term } ;             (* left-associative *)
 *   term          = unary , { ( "*" | "/" ) , unary } ;           (* binds tighter than + - *)
 *   unary         = "-" , unary | primary ;
 *   primary       = quantity | statistic | herd | recovery | metric | "(" , expr , ")" ;
 *   herd          = ( "peak_to_mean" | "periodicity" ) , "(" , "upstream_requests" , [ selector ] , [ "," , quantity ] , ")" ;
 *                                                               (* the bin: a duration, default 10ms *)
 *   recovery      = "recovery_time" , "(" , [ name | string ] , ")" ;   (* a fault's name; none: every fault *)
 *   statistic     = stat_name , "(" , "latency" , [ selector ] , ")" ;
 *   stat_name     = "min" | "max" | "mean" | percentile ;
 *   percentile    = "p" , digits , [ "." , digits ] ;             (* p99, p99.9, p75; p999 = p99.9, p9999 = p99.99 *)
 *   metric        = name , [ selector ] ;
 *   selector      = "{" , [ matcher , { "," , matcher } , [ "," ] ] , "}" ;
 *   matcher       = label , ( "=" | "!=" ) , string ;
 *   quantity      = number , [ "%" | duration_unit ] ;
 *   threshold     = [ "-" ] , number , [ "%" | duration_unit | rate_unit ] ;
 *   duration_unit = "us" | "µs" | "ms" | "s" | "m" | "h" ;
 *   rate_unit     = "/" , ( "s" | "m" | "min" | "h" ) ;           (* 50/s, 600/m *)
 *   number        = digits , [ "." , digits ] | "." , digits ;
 *   digits        = digit , { digit } ;
 *   name          = ( letter | "_" | ":" ) , { letter | digit | "_" | ":" } ;
 *   label         = ( letter | "_" ) , { letter | digit | "_" } ;
 *   string        = '"' , { character | escape } , '"' | "'" , { character | escape } , "'" ;
 *   escape        = "\" , ( "\" | '"' | "'" | "n" | "t" ) ;
 *
 * Metrics (over the SLO's window; requests belong to it by due time, upstream calls by t):
 *   requests            requests due in the window                         {route, status}
 *   successes           answered with a status the request expects          {route, status}
 *                       (`load.requests[].expect.status`; default 2xx, 3xx)
 *   errors              any other answer, or no answer at all (status 0)   {route, status}
 *   availability        successes / requests                               {route, status}
 *   error_rate          errors / requests                                  {route, status}
 *   throughput          responses (any status) completed per second        {route, status}
 *   latency             due → end, ms; only inside a statistic             {route, status}
 *   upstream_requests   calls the fixture providers received               {provider, region, endpoint, status}
 *   peak_to_mean(upstream_requests, 10ms)   largest bin count / mean bin count (herd.ts)
 *   periodicity(upstream_requests, 10ms)    highest autocorrelation of the bins, lags 2 bins
 *                       to a quarter of the window; the verdict names its period (herd.ts)
 *   recovery_time(fault) time from the fault's last switch-off to recovery (recovery.ts);
 *                       +∞ when the run never recovered
 *   any other name      a router metric from /metrics: for `_total`, `_count`, `_bucket`, `_sum`
 *                       names its increase over the window, else its last value (gauge)
 * A status selector is a class ("5xx"), a code ("503") or "error" (status 0). Router metric
 * names are open-ended, so an unknown name is not a syntax error — the evaluator says when
 * the router has no such metric — but a name one or two edits from a built-in
 * (`availabilty`) is taken for a typo and refused with a suggestion.
 *
 * The threshold is a constant so that a verdict can report it as one number. Units are
 * checked after parsing (check.ts): `p99(latency) < 99%` parses but is refused.
 */
import type { ArrivalStat, Comparator, LabelMatcher, LatencyStat, NumberNode, SloExpr, Span, ValueExpr } from './ast.ts';
import { validateSlo } from './check.ts';
import type { SloError } from './check.ts';
import { BUILTIN_NAMES, FUNCTION_NAMES, isBuiltinMetric } from './metrics.ts';
import { closest } from '../core/suggest.ts';

export type ParseResult = { ok: true; expr: SloExpr } | { ok: false; error: { message: string; offset: number } };

/**
 * Parses and type-checks an SLO expression. Never throws: a bad expression comes back as
 * an error with the 0-based offset of the offending character.
 *
 * @example
 *   parseSlo('availability >= 99.5%')   // { ok: true, expr: { kind: 'compare', comparator: '>=', threshold: { value: 0.995, unit: 'percent' }, ... } }
 *   parseSlo('availability')            // { ok: false, error: { message: 'expected a comparison (<, <=, >, >=, ==, !=) after `availability`, found end of expression', offset: 12 } }
 */
export function parseSlo(text: string): ParseResult {
  const parsed = parseSloSyntax(text);
  if (!parsed.ok) return parsed;
  const error = validateSlo(parsed.expr);
  return error ? { ok: false, error } : parsed;
}

/** The grammar alone, without the unit checks: for tools that want the tree of an ill-typed SLO. */
export function parseSloSyntax(text: string): ParseResult {
  const lexed = lex(text);
  if (!lexed.ok) return { ok: false, error: lexed.error };
  try {
    return { ok: true, expr: new Parser(text, lexed.tokens).slo() };
  } catch (e) {
    // The parser unwinds with a SyntaxFailure from any depth; it never leaves this module.
    if (e instanceof SyntaxFailure) return { ok: false, error: { message: e.message, offset: e.offset } };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------
// Lexer

type TokenType = 'ident' | 'number' | 'string' | 'op' | 'eof';

interface Token {
  type: TokenType;
  /** The token as normalised: `≤` reads `<=`; a string holds its decoded value. */
  text: string;
  start: number;
  end: number;
  /** Whether whitespace precedes it: `400ms` is a duration, `400 foo` is two things. */
  spaced: boolean;
}

const TWO_CHAR_OPS = new Set(['<=', '>=', '==', '!=', '=~', '!~']);
const ONE_CHAR_OPS = new Set(['(', ')', '{', '}', ',', '+', '-', '*', '/', '%', '<', '>', '=', '!']);
const UNICODE_OPS: Record<string, string> = { '≤': '<=', '≥': '>=', '≠': '!=' };

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isNameStart = (c: string | undefined) => c !== undefined && /[A-Za-z_:]/.test(c);
const isNameChar = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_:]/.test(c);

function lex(text: string): { ok: true; tokens: Token[] } | { ok: false; error: SloError } {
  const tokens: Token[] = [];
  let i = 0;
  let spaced = false;
  const push = (type: TokenType, tokenText: string, start: number, end: number) => {
    tokens.push({ type, text: tokenText, start, end, spaced });
    spaced = false;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
      spaced = true;
      continue;
    }
    const start = i;
    if (isDigit(c) || (c === '.' && isDigit(text[i + 1]))) {
      while (isDigit(text[i])) i++;
      if (text[i] === '.') {
        if (!isDigit(text[i + 1])) return fail(`expected a digit after the decimal point in \`${text.slice(start, i + 1)}\``, i + 1);
        i++;
        while (isDigit(text[i])) i++;
      }
      push('number', text.slice(start, i), start, i);
    } else if (isNameStart(c) || (c === 'µ' && text[i + 1] === 's')) {
      i++;
      while (isNameChar(text[i])) i++;
      // `p99.9` is one name: a percentile with a fraction.
      if (/^p\d+$/.test(text.slice(start, i)) && text[i] === '.' && isDigit(text[i + 1])) {
        i++;
        while (isDigit(text[i])) i++;
      }
      push('ident', text.slice(start, i), start, i);
    } else if (c === '"' || c === "'") {
      let value = '';
      i++;
      for (;;) {
        const ch = text[i];
        if (ch === undefined) return fail(`expected a closing ${c} for the string that starts here, found end of expression`, start);
        if (ch === c) break;
        if (ch === '\\') {
          const esc = text[i + 1];
          if (esc === 'n') value += '\n';
          else if (esc === 't') value += '\t';
          else if (esc === '\\' || esc === '"' || esc === "'") value += esc;
          else return fail(`expected an escape (\\\\, \\", \\', \\n, \\t) after the backslash, found ${esc === undefined ? 'end of expression' : `\`${esc}\``}`, i);
          i += 2;
        } else {
          value += ch;
          i++;
        }
      }
      i++;
      push('string', value, start, i);
    } else if (TWO_CHAR_OPS.has(text.slice(i, i + 2))) {
      i += 2;
      push('op', text.slice(start, i), start, i);
    } else if (ONE_CHAR_OPS.has(c)) {
      i++;
      push('op', c, start, i);
    } else if (UNICODE_OPS[c]) {
      i++;
      push('op', UNICODE_OPS[c], start, i);
    } else {
      return fail(`unexpected character \`${c}\`: expected a metric, a number, an operator or a comparison`, i);
    }
  }
  push('eof', '', text.length, text.length);
  return { ok: true, tokens };
}

function fail(message: string, offset: number): { ok: false; error: SloError } {
  return { ok: false, error: { message, offset } };
}

// ---------------------------------------------------------------------------------------
// Parser: recursive descent, one method per grammar rule.

class SyntaxFailure extends Error {
  offset: number;
  constructor(message: string, offset: number) {
    super(message);
    this.offset = offset;
  }
}

const COMPARATORS = new Set<string>(['<', '<=', '>', '>=', '==', '!=']);
const COMPARATOR_LIST = '(<, <=, >, >=, ==, !=)';

/** Milliseconds per unit. `m` is minutes, as in scenario files (units.ts). */
const DURATION_UNITS: Record<string, (digits: string) => number> = {
  // Scaling by shifting the decimal exponent in the text keeps 0.1s exactly 100 and 1.1ms exactly 1.1.
  us: (d) => Number(`${d}e-3`),
  µs: (d) => Number(`${d}e-3`),
  ms: (d) => Number(d),
  s: (d) => Number(`${d}e3`),
  m: (d) => Number(`${d}e3`) * 60,
  h: (d) => Number(`${d}e3`) * 3600,
};
const RATE_UNITS: Record<string, number> = { s: 1, m: 60, min: 60, h: 3600 };

const STAT_NAMES = ['p50', 'p90', 'p95', 'p99', 'p999', 'min', 'max', 'mean'];
const STAT_LIST = 'p50, p90, p95, p99, p999, pNN such as p75 or p99.9, min, max, mean';
/** The bin of `peak_to_mean(upstream_requests)` without one: fine enough to see a herd of retries tens of ms apart. */
export const DEFAULT_BIN_MS = 10;
const STAT_ALIASES: Record<string, string> = { avg: 'mean', average: 'mean', median: 'p50', med: 'p50' };

class Parser {
  #text: string;
  #tokens: Token[];
  #pos = 0;

  constructor(text: string, tokens: Token[]) {
    this.#text = text;
    this.#tokens = tokens;
  }

  slo(): SloExpr {
    const left = this.#expr();
    const cmp = this.#peek();
    if (cmp.type !== 'op' || !COMPARATORS.has(cmp.text)) {
      const hint = cmp.type === 'op' && cmp.text === '=' ? ' (write == to compare for equality)' : '';
      this.#fail(`expected a comparison ${COMPARATOR_LIST} after \`${this.#source(left.span)}\`, found ${describe(cmp)}${hint}`, cmp);
    }
    this.#pos++;
    const threshold = this.#threshold(cmp);
    const end = this.#peek();
    if (end.type !== 'eof') {
      const conj = /^(and|or)$/i.test(end.text) || end.text === '&' || end.text === '|';
      const hint = conj
        ? ': one comparison per SLO, so write a second SLO for the other condition'
        : end.type === 'op' && '+-*/'.includes(end.text)
          ? ': the threshold must be a single constant; move arithmetic to the left'
          : '';
      this.#fail(`expected end of expression after \`${this.#source(threshold.span)}\`, found ${describe(end)}${hint}`, end);
    }
    return {
      kind: 'compare',
      left,
      comparator: cmp.text as Comparator,
      threshold,
      span: { start: left.span.start, end: threshold.span.end },
    };
  }

  #expr(): ValueExpr {
    let left = this.#term();
    for (;;) {
      const t = this.#peek();
      if (t.type !== 'op' || (t.text !== '+' && t.text !== '-')) return left;
      this.#pos++;
      const right = this.#term();
      left = { kind: 'binary', op: t.text, left, right, span: { start: left.span.start, end: right.span.end } };
    }
  }

  #term(): ValueExpr {
    let left = this.#unary();
    for (;;) {
      const t = this.#peek();
      if (t.type !== 'op' || (t.text !== '*' && t.text !== '/')) return left;
      this.#pos++;
      const right = this.#unary();
      left = { kind: 'binary', op: t.text, left, right, span: { start: left.span.start, end: right.span.end } };
    }
  }

  #unary(): ValueExpr {
    const t = this.#peek();
    if (t.type === 'op' && t.text === '-') {
      this.#pos++;
      const operand = this.#unary();
      return { kind: 'negate', operand, span: { start: t.start, end: operand.span.end } };
    }
    return this.#primary();
  }

  #primary(): ValueExpr {
    const t = this.#peek();
    if (t.type === 'number') return this.#quantity(false);
    if (t.type === 'op' && t.text === '(') {
      this.#pos++;
      const inner = this.#expr();
      const close = this.#peek();
      if (close.type !== 'op' || close.text !== ')') {
        this.#fail(`expected \`)\` to close the \`(\` at offset ${t.start}, found ${describe(close)}`, close);
      }
      this.#pos++;
      // The parenthesised node spans its parentheses, so slicing the source by span reads well.
      return { ...inner, span: { start: t.start, end: close.end } };
    }
    if (t.type === 'ident') {
      const call = this.#peekAt(1).text === '(' && this.#peekAt(1).type === 'op';
      if (call && (t.text === 'peak_to_mean' || t.text === 'periodicity')) return this.#arrivals();
      if (call && t.text === 'recovery_time') return this.#recovery();
      if (call) return this.#statistic();
      return this.#metric();
    }
    const prev = this.#pos > 0 ? this.#tokens[this.#pos - 1]! : undefined;
    const where = prev ? `after \`${prev.type === 'string' ? this.#text.slice(prev.start, prev.end) : prev.text}\`` : 'at the start of the expression';
    return this.#fail(`expected a metric, a number or \`(\` ${where}, found ${describe(t)}`, t);
  }

  #metric(): ValueExpr {
    const t = this.#next();
    const name = t.text;
    if (name === 'latency') {
      this.#fail('expected a statistic of latency such as p99(latency) or mean(latency), found bare `latency`: latency is a distribution, not one number', t);
    }
    if ((FUNCTION_NAMES as string[]).includes(name)) {
      this.#fail(`expected \`(\` after \`${name}\`, found ${describe(this.#peek())}: write ${name === 'recovery_time' ? 'recovery_time(<fault>)' : `${name}(upstream_requests, 10ms)`}`, this.#peek());
    }
    if (isStatName(name)) {
      this.#fail(`expected \`(\` after \`${name}\`, found ${describe(this.#peek())}: write ${name}(latency)`, this.#peek());
    }
    const selector = this.#selector();
    const span = { start: t.start, end: selector.end };
    if (isBuiltinMetric(name)) return { kind: 'metric', name, selector: selector.matchers, span };
    // Router metrics are open-ended, but a near miss of a built-in is a typo, not a new metric.
    const guess = closest(name, [...BUILTIN_NAMES, 'latency', ...FUNCTION_NAMES]);
    if (guess) this.#fail(`expected a metric, found \`${name}\`, which faultline does not measure; did you mean \`${guess}\`?`, t);
    return { kind: 'router_metric', name, selector: selector.matchers, span };
  }

  #statistic(): ValueExpr {
    const fn = this.#next();
    const open = this.#next();
    const stat = this.#statName(fn);
    const arg = this.#peek();
    if (arg.type !== 'ident' || arg.text !== 'latency') {
      let hint = '';
      if (arg.type === 'ident' && isBuiltinMetric(arg.text)) hint = `: ${fn.text}() takes latency, the only distribution; \`${arg.text}\` is one number`;
      else if (arg.type === 'ident') {
        const guess = closest(arg.text, ['latency']);
        if (guess) hint = `; did you mean \`${guess}\`?`;
      }
      this.#fail(`expected \`latency\` inside \`${fn.text}(\`, found ${describe(arg)}${hint}`, arg);
    }
    this.#pos++;
    const selector = this.#selector();
    const close = this.#peek();
    if (close.type !== 'op' || close.text !== ')') {
      this.#fail(`expected \`)\` to close \`${fn.text}(\` at offset ${open.start}, found ${describe(close)}`, close);
    }
    this.#pos++;
    return { kind: 'latency', stat, selector: selector.matchers, span: { start: fn.start, end: close.end } };
  }

  /** `peak_to_mean(upstream_requests{…}, 10ms)`, `periodicity(…)`. */
  #arrivals(): ValueExpr {
    const fn = this.#next();
    const open = this.#next();
    const arg = this.#peek();
    if (arg.type !== 'ident' || arg.text !== 'upstream_requests') {
      const guess = arg.type === 'ident' ? closest(arg.text, ['upstream_requests']) : undefined;
      const hint = guess
        ? `; did you mean \`${guess}\`?`
        : arg.type === 'ident' && isBuiltinMetric(arg.text)
          ? `: ${fn.text}() reads the providers' arrivals, so it takes upstream_requests, not \`${arg.text}\``
          : '';
      this.#fail(`expected \`upstream_requests\` inside \`${fn.text}(\`, found ${describe(arg)}${hint}`, arg);
    }
    this.#pos++;
    const selector = this.#selector();
    let binMs = DEFAULT_BIN_MS;
    let sep = this.#peek();
    if (sep.type === 'op' && sep.text === ',') {
      this.#pos++;
      const n = this.#peek();
      if (n.type !== 'number') this.#fail(`expected a bin width such as 10ms after \`${fn.text}(upstream_requests, \`, found ${describe(n)}`, n);
      const bin = this.#quantity(false);
      if (bin.unit !== 'ms') this.#fail(`expected a bin width with a duration unit (e.g. 10ms), found \`${this.#source(bin.span)}\``, n);
      if (!(bin.value >= 1)) this.#fail(`expected a bin width of at least 1ms, found \`${this.#source(bin.span)}\`: arrivals are timed to the millisecond`, n);
      binMs = bin.value;
      sep = this.#peek();
    }
    if (sep.type !== 'op' || sep.text !== ')') {
      this.#fail(`expected \`,\` and a bin width, or \`)\` to close \`${fn.text}(\` at offset ${open.start}, found ${describe(sep)}`, sep);
    }
    this.#pos++;
    return { kind: 'arrivals', stat: fn.text as ArrivalStat, selector: selector.matchers, binMs, span: { start: fn.start, end: sep.end } };
  }

  /** `recovery_time(brownout)`, `recovery_time("eu-outage")`, `recovery_time()`. */
  #recovery(): ValueExpr {
    const fn = this.#next();
    const open = this.#next();
    const arg = this.#peek();
    let fault: string | null = null;
    if (arg.type === 'ident' || arg.type === 'string') {
      this.#pos++;
      fault = arg.text;
      const dash = this.#peek();
      if (arg.type === 'ident' && dash.type === 'op' && dash.text === '-' && !dash.spaced) {
        this.#fail(`expected \`)\` after the fault name \`${arg.text}\`, found \`-\`: quote a name with dashes, e.g. recovery_time("${arg.text}-…")`, dash);
      }
    }
    const close = this.#peek();
    if (close.type !== 'op' || close.text !== ')') {
      this.#fail(`expected a fault's name and \`)\` to close \`recovery_time(\` at offset ${open.start}, found ${describe(close)}`, close);
    }
    this.#pos++;
    return { kind: 'recovery', fault, span: { start: fn.start, end: close.end } };
  }

  #statName(fn: Token): LatencyStat {
    const name = fn.text;
    if (name === 'min' || name === 'max' || name === 'mean') return { kind: name };
    const m = /^p(\d+)(?:\.(\d+))?$/.exec(name);
    if (m) {
      const [, whole, frac] = m as unknown as [string, string, string | undefined];
      let percentile: number;
      if (frac !== undefined) percentile = Number(`${whole}.${frac}`);
      else if (whole.length <= 2 || whole === '100') percentile = Number(whole);
      // The field's shorthand: p999 is the 99.9th percentile, p9999 the 99.99th.
      else if (whole.startsWith('99')) percentile = Number(`99.${whole.slice(2)}`);
      else return this.#fail(`expected a percentile between 0 and 100, found \`${name}\`: write it with a decimal point, e.g. p${whole.slice(0, 2)}.${whole.slice(2)}`, fn);
      if (percentile > 100) this.#fail(`expected a percentile between 0 and 100, found \`${name}\``, fn);
      return { kind: 'quantile', percentile };
    }
    if (name === 'p' && this.#peek().type === 'number') {
      this.#fail(`expected a latency statistic, found k6's \`p(${this.#peek().text})\`: write p${this.#peek().text}(latency)`, fn);
    }
    const fnGuess = closest(name, FUNCTION_NAMES);
    if (fnGuess) return this.#fail(`expected a function (${FUNCTION_NAMES.join(', ')}) or a latency statistic, found \`${name}(\`; did you mean \`${fnGuess}\`?`, fn);
    const guess = STAT_ALIASES[name.toLowerCase()] ?? closest(name, STAT_NAMES);
    const hint = guess ? `; did you mean \`${guess}\`?` : '';
    return this.#fail(`expected a latency statistic (${STAT_LIST}) or a function (${FUNCTION_NAMES.join(', ')}), found \`${name}(\`${hint}`, fn);
  }

  #selector(): { matchers: LabelMatcher[]; end: number } {
    const open = this.#peek();
    const prevEnd = this.#tokens[this.#pos - 1]!.end;
    if (open.type !== 'op' || open.text !== '{') return { matchers: [], end: prevEnd };
    this.#pos++;
    const matchers: LabelMatcher[] = [];
    for (;;) {
      const t = this.#peek();
      if (t.type === 'op' && t.text === '}') {
        this.#pos++;
        return { matchers, end: t.end };
      }
      if (t.type !== 'ident' || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(t.text)) {
        this.#fail(`expected a label name or \`}\` in the selector, found ${describe(t)}`, t);
      }
      this.#pos++;
      const op = this.#peek();
      if (op.type !== 'op' || (op.text !== '=' && op.text !== '!=')) {
        const hint =
          op.text === '=~' || op.text === '!~'
            ? ': regular-expression matchers are not supported'
            : op.text === '=='
              ? ': a selector uses a single ='
              : '';
        this.#fail(`expected = or != after the label \`${t.text}\`, found ${describe(op)}${hint}`, op);
      }
      this.#pos++;
      const value = this.#peek();
      if (value.type !== 'string') {
        this.#fail(`expected a quoted value after \`${t.text}${op.text}\`, found ${describe(value)}: write ${t.text}${op.text}"…"`, value);
      }
      this.#pos++;
      matchers.push({ label: t.text, op: op.text as '=' | '!=', value: value.text, span: { start: t.start, end: value.end } });
      const sep = this.#peek();
      if (sep.type === 'op' && sep.text === ',') {
        this.#pos++;
        continue;
      }
      if (sep.type !== 'op' || sep.text !== '}') this.#fail(`expected \`,\` or \`}\` after \`${this.#source({ start: t.start, end: value.end })}\`, found ${describe(sep)}`, sep);
    }
  }

  #threshold(cmp: Token): NumberNode {
    const t = this.#peek();
    const negative = t.type === 'op' && t.text === '-';
    if (negative) this.#pos++;
    const n = this.#peek();
    if (n.type !== 'number') {
      const moveHint =
        n.type === 'ident' || (n.type === 'op' && n.text === '(')
          ? ': the right-hand side must be a constant, so move metrics to the left (e.g. upstream_requests / requests <= 1.3)'
          : '';
      this.#fail(`expected a threshold after \`${cmp.text}\` (a constant such as 99.5%, 400ms or 1.3), found ${describe(n)}${moveHint}`, n);
    }
    const q = this.#quantity(true);
    return negative ? { ...q, value: -q.value, span: { start: t.start, end: q.span.end } } : q;
  }

  /** A number with its unit; rate units (`50/s`) only in a threshold, where `/` cannot mean division. */
  #quantity(allowRate: boolean): NumberNode {
    const num = this.#next();
    const digits = num.text;
    const u = this.#peek();
    if (u.type === 'op' && u.text === '%') {
      this.#pos++;
      return { kind: 'number', value: Number(`${digits}e-2`), unit: 'percent', span: { start: num.start, end: u.end } };
    }
    if (u.type === 'ident' && Object.hasOwn(DURATION_UNITS, u.text)) {
      this.#pos++;
      return { kind: 'number', value: DURATION_UNITS[u.text]!(digits), unit: 'ms', span: { start: num.start, end: u.end } };
    }
    if (u.type === 'ident' && !u.spaced) {
      const rate = allowRate ? ', or a rate such as /s' : '';
      this.#fail(`expected a unit (%, us, ms, s, m, h${rate}) after \`${digits}\`, found \`${u.text}\``, u);
    }
    if (allowRate && u.type === 'op' && u.text === '/') {
      const per = this.#peekAt(1);
      if (per.type !== 'ident' || !Object.hasOwn(RATE_UNITS, per.text)) {
        this.#fail(`expected a rate unit (s, m, min, h) after \`${digits}/\`, found ${describe(per)}`, per);
      }
      this.#pos += 2;
      return { kind: 'number', value: Number(digits) / RATE_UNITS[per.text]!, unit: 'per_second', span: { start: num.start, end: per.end } };
    }
    return { kind: 'number', value: Number(digits), unit: 'number', span: { start: num.start, end: num.end } };
  }

  #peek(): Token {
    return this.#tokens[this.#pos]!;
  }

  #peekAt(ahead: number): Token {
    return this.#tokens[Math.min(this.#pos + ahead, this.#tokens.length - 1)]!;
  }

  #next(): Token {
    return this.#tokens[this.#pos++]!;
  }

  #source(span: Span): string {
    return this.#text.slice(span.start, span.end);
  }

  #fail(message: string, at: Token): never {
    throw new SyntaxFailure(message, at.start);
  }
}

function isStatName(name: string): boolean {
  return name === 'min' || name === 'max' || name === 'mean' || /^p\d+(\.\d+)?$/.test(name);
}

function describe(t: Token): string {
  switch (t.type) {
    case 'eof':
      return 'end of expression';
    case 'string':
      return JSON.stringify(t.text);
    case 'number':
      return `the number \`${t.text}\``;
    default:
      return `\`${t.text}\``;
  }
}
