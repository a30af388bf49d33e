// Fetch wrapper for the explorer API: JSON in and out, same-origin cookies, the CSRF header
// on POST/DELETE, {"detail"} errors turned into ApiError, and a hook for a lost session (401).

let csrfToken = null;
let sessionLost = () => {};

class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
    this.detail = detail;
  }
}

export function setCsrfToken(token) {
  csrfToken = token || null;
}

export function onSessionLost(handler) {
  sessionLost = handler;
}

// Encodes one path segment (entity ids, alert ids, review ids).
export const seg = (value) => encodeURIComponent(value);

// quiet401: the caller handles 401 itself (session check, login) instead of the hook.
async function request(method, path, { body, params, quiet401 = false } = {}) {
  const query = params ? String(params) : '';
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if ((method === 'POST' || method === 'DELETE') && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  let response;
  try {
    response = await fetch(query ? `${path}?${query}` : path, {
      method,
      headers,
      credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'The explorer server cannot be reached.');
  }
  const data = await readJson(response);
  if (response.ok) return data;
  const error = new ApiError(response.status, describe(data, response));
  if (response.status === 401 && !quiet401) sessionLost(error.detail);
  throw error;
}

async function readJson(response) {
  if (response.status === 204) return null;
  try {
    return await response.json();
  } catch {
    return null;
  }
}

// The contract's detail is a string; a list of validation errors is joined just in case.
function describe(data, response) {
  const detail = data && data.detail;
  if (typeof detail === 'string' && detail) return detail;
  if (Array.isArray(detail)) return detail.map((item) => (item && item.msg) || String(item)).join('; ');
  return `${response.status} ${response.statusText || 'error'}`.trim();
}

export const api = {
  get: (path, params, options = {}) => request('GET', path, { ...options, params }),
  post: (path, body, options = {}) => request('POST', path, { ...options, body }),
  del: (path, options = {}) => request('DELETE', path, options),
};

// For requests that may overlap (opening another entity before the last one answered):
// const turn = latestOnly(); ... const isCurrent = turn(); await ...; if (!isCurrent()) return;
export function latestOnly() {
  let counter = 0;
  return () => {
    const mine = ++counter;
    return () => mine === counter;
  };
}
