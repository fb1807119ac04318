/** HTTP `content_type`: the wrong content type: an HTML page for an HTML type, the real body relabelled otherwise. */
import Type from 'typebox';
import { FAULT_HEADER, passOn, real } from '../http-stage.ts';
import { httpFault, rate, rateOf, type HttpScoped, type RequestKind } from '../kind.ts';

export interface HttpContentTypeFault extends HttpScoped {
  kind: 'content_type';
  contentType: string;
  status: number;
}

/** The wrong content type: an HTML error page for `text/html`, otherwise the real body relabelled. */
export interface ContentTypeAction {
  kind: 'content_type';
  contentType: string;
  status: number;
}

const schema = httpFault('content_type', 'answer with the wrong content type, e.g. a proxy’s HTML error page.', {
  contentType: Type.Optional(
    Type.String({ minLength: 1, description: 'The content type to answer with. Default text/html; charset=utf-8 (an HTML page; any other type relabels the real body).' }),
  ),
  status: Type.Optional(
    Type.Integer({ minimum: 100, maximum: 599, expected: 'an HTTP status from 100 to 599', description: 'The status to answer with: 200 (a CDN interstitial) or e.g. 502 (nginx’s error page). Default 200.' }),
  ),
  rate: rate('Share of requests answered so. Default 100%.'),
});

export const contentType: RequestKind<HttpContentTypeFault, ContentTypeAction, typeof schema> = {
  layer: 'http',
  kind: 'content_type',
  scope: 'request',
  schema,
  ramps: { rate: 'rate' },
  normalize: (f, common) => ({ ...common, layer: 'http', kind: 'content_type', contentType: f.contentType ?? 'text/html; charset=utf-8', status: f.status ?? 200, rate: rateOf(f.rate) }),
  plan: (f) => ({ kind: 'content_type', contentType: f.contentType, status: f.status }),
  async act(f, request, ctx) {
    const headers = { 'content-type': f.contentType, [FAULT_HEADER]: f.name };
    if (/html/i.test(f.contentType)) return new Response(proxyPage(f.status), { status: f.status, headers });
    const got = await real(request, ctx);
    if (passOn(got)) return got;
    return new Response(got.body, { status: f.status, headers });
  },
};

const REASONS: Record<number, string> = { 200: 'OK', 403: 'Forbidden', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };

/** What a proxy in the way answers: nginx's error page, or a 200 interstitial ("Just a moment...") as CDNs serve. */
function proxyPage(status: number): string {
  const title = status === 200 ? 'Just a moment...' : `${status} ${REASONS[status] ?? 'Error'}`;
  const body =
    status === 200
      ? '<h1>Checking your browser before accessing the site.</h1><p>This process is automatic.</p>'
      : `<center><h1>${title}</h1></center>\r\n<hr><center>nginx</center>`;
  return `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n${body}\r\n</body>\r\n</html>\r\n`;
}
