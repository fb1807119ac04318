/**
 * The fixtures' JSON answers: `json` is MSW's `HttpResponse.json` as it reaches a client (the
 * status and its reason phrase, `content-type: application/json` unless given, a
 * `content-length`, the body as JSON text), without what `HttpResponse` adds for MSW's
 * browser features (its own `Headers` copies, a `Blob` to measure the length, Set-Cookie
 * bookkeeping). On the wire (the fixture server writes the status, the headers and the
 * bytes) the two are the same answer.
 *
 * The response holds its bytes and makes a body stream only if one is asked for
 * (`body`, `clone`, `blob`, `formData`: it then becomes a `Response` over those bytes, and
 * every read goes through it). Read whole (`arrayBuffer`, `bytes`, `text`, `json`: what the
 * fixture server, the simulator and the faults that alter an answer do) it hands back the
 * bytes: building a web stream for a body of a hundred bytes and reading it back was most of
 * a provider's cost per request in the simulator. A read body is read, as with any Response:
 * a second read throws the same TypeError.
 */
import { STATUS_CODES } from 'node:http';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface JsonInit {
  status?: number;
  headers?: Record<string, string>;
}

/** A JSON response, as `HttpResponse.json(body, init)` sends it. */
export function json(body: unknown, init: JsonInit = {}): Response {
  const status = init.status ?? 200;
  const bytes = encoder.encode(JSON.stringify(body) ?? '');
  const headers: Record<string, string> = { ...init.headers };
  // Each only if not given, as HttpResponse.json sets them; names case-insensitively, as Headers has them.
  const given = init.headers ? new Set(Object.keys(init.headers).map((k) => k.toLowerCase())) : undefined;
  if (!given?.has('content-type')) headers['content-type'] = 'application/json';
  if (!given?.has('content-length')) headers['content-length'] = String(bytes.byteLength);
  const init2 = { status, statusText: STATUS_CODES[status] ?? '', headers };
  // A status that has no body: the Response constructor's own error, as HttpResponse.json gives it.
  return NULL_BODY.has(status) ? new Response(bytes, init2) : new BytesResponse(bytes, init2);
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

const unusable = () => new TypeError('Body is unusable: Body has already been read');

/** A Response whose body is bytes in hand; a stream is made from them only when one is asked for. */
class BytesResponse extends Response {
  #bytes: Uint8Array<ArrayBuffer> | null;
  /** The Response over the bytes, once a stream was asked for: it answers every body read from then on. */
  #streamed: Response | null = null;

  constructor(bytes: Uint8Array<ArrayBuffer>, init: ResponseInit) {
    super(null, init);
    this.#bytes = bytes;
  }

  #asStreamed(): Response {
    if (!this.#streamed) {
      this.#streamed = new Response(this.#bytes, { status: this.status, statusText: this.statusText, headers: this.headers });
      this.#bytes = null;
    }
    return this.#streamed;
  }

  /** The bytes, read: undefined when they were (or a stream was made of them). */
  #take(): Uint8Array<ArrayBuffer> | undefined {
    const b = this.#bytes;
    if (b === null || this.#streamed) return undefined;
    this.#bytes = null;
    return b;
  }

  override get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#bytes === null && !this.#streamed) {
      // Read whole already: a stream that is there and disturbed, as a read Response's body is.
      this.#streamed = new Response(new Uint8Array(0));
      void this.#streamed.arrayBuffer();
    }
    return this.#asStreamed().body;
  }

  override get bodyUsed(): boolean {
    return this.#streamed ? this.#streamed.bodyUsed : this.#bytes === null;
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    if (this.#streamed) return this.#streamed.arrayBuffer();
    const b = this.#take();
    if (!b) throw unusable();
    return b.buffer.byteLength === b.byteLength ? b.buffer : b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    if (this.#streamed) return this.#streamed.bytes();
    const b = this.#take();
    if (!b) throw unusable();
    return b;
  }

  override async text(): Promise<string> {
    if (this.#streamed) return this.#streamed.text();
    const b = this.#take();
    if (!b) throw unusable();
    return decoder.decode(b);
  }

  override async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }

  override blob(): Promise<Blob> {
    return this.#asStreamed().blob();
  }

  override formData(): Promise<FormData> {
    return this.#asStreamed().formData();
  }

  override clone(): Response {
    if (this.bodyUsed) throw new TypeError('Response.clone: Body has already been consumed.');
    if (this.#streamed) return this.#streamed.clone();
    return new BytesResponse(this.#bytes!.slice(), { status: this.status, statusText: this.statusText, headers: this.headers });
  }
}
