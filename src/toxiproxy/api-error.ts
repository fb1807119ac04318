/**
 * Errors as the Toxiproxy API reports them: `{"error": "...", "status": 409}`. The messages of
 * Toxiproxy 2.x are kept word for word as prefixes (clients may match on them); where faultline
 * knows more it appends the detail after ": ", the way Toxiproxy's own `joinError` does.
 */
/**
 * The longest message an error body carries. Details quote what the client sent (a name, a
 * path, a value), so a hostile request could otherwise make its own error as big as itself.
 */
export const MAX_ERROR_MESSAGE = 500;

/** `text` cut to `max` characters (never inside a surrogate pair), with `…` where it was cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const c = text.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return `${text.slice(0, end)}…`;
}

export class ApiError extends Error {
  readonly status: number;

  constructor(message: string, status: number) {
    super(clip(message, MAX_ERROR_MESSAGE));
    this.name = 'ApiError';
    this.status = status;
  }

  /** This error with a detail appended: `bad request body: <detail>`. */
  with(detail: string): ApiError {
    return new ApiError(`${this.message}: ${detail}`, this.status);
  }

  toJSON(): { error: string; status: number } {
    return { error: this.message, status: this.status };
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

export const ErrBadRequestBody = new ApiError('bad request body', 400);
export const ErrMissingField = new ApiError('missing required field', 400);
export const ErrProxyNotFound = new ApiError('proxy not found', 404);
export const ErrProxyAlreadyExists = new ApiError('proxy already exists', 409);
export const ErrInvalidStream = new ApiError('stream was invalid, can be either upstream or downstream', 400);
export const ErrInvalidToxicType = new ApiError('invalid toxic type', 400);
export const ErrToxicAlreadyExists = new ApiError('toxic already exists', 409);
export const ErrToxicNotFound = new ApiError('toxic not found', 404);
/** Not in Toxiproxy (it answers 500 with Go's error text): a listen address another socket holds. */
export const ErrListenInUse = new ApiError('listen address already in use', 409);
/** Not in Toxiproxy (it accepts the proxy, whose connections then multiply until file descriptors run out). */
export const ErrProxyLoop = new ApiError('proxy loop', 400);
