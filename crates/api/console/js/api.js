// Every read and action of the console goes through the JSON API, authenticated by the
// session cookie (HttpOnly: this script never sees the token) and the X-IOU-Console header,
// without which the server does not accept the cookie (a cross-site form cannot send it).

/** Thrown for an answer that is not 2xx: the API's error shape. */
export class ApiError extends Error {
  constructor(status, body) {
    const error = (body && body.error) || {};
    super(error.message || `HTTP ${status}`);
    this.status = status;
    this.code = error.code || 'http_' + status;
    this.field = error.field || null;
    this.permission = error.permission || null;
  }
}

let onUnauthenticated = () => {};

/** What to do when the session is gone (401): the app shows the login page. */
export function whenUnauthenticated(handler) {
  onUnauthenticated = handler;
}

/** Calls `method path` with a JSON `body`; a POST carries a fresh Idempotency-Key. */
export async function call(method, path, body) {
  const headers = { 'X-IOU-Console': '1', Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin', cache: 'no-store' };
  if (method !== 'GET') {
    headers['Content-Type'] = 'application/json';
    headers['Idempotency-Key'] = crypto.randomUUID();
    init.body = JSON.stringify(body ?? {});
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = null;
  }
  if (!response.ok) {
    const error = new ApiError(response.status, parsed);
    if (response.status === 401 && !path.endsWith('/console/login')) onUnauthenticated(error);
    throw error;
  }
  return parsed;
}

export const get = (path) => call('GET', path);
export const post = (path, body) => call('POST', path, body);
