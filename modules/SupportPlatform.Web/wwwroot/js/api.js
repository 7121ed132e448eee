// The REST API as the pages use it: JSON in and out, problem details turned into readable errors, the antiforgery
// header on unsafe requests (GET /api/auth/antiforgery), and who is signed in (GET /api/me).

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

let antiforgery; // undefined: not asked yet; null: the server has none; else { headerName, token }
let mePromise;

export class ApiError extends Error {
  constructor(status, problem) {
    super(describe(status, problem));
    this.status = status;
    this.problem = problem;
  }
}

function describe(status, problem) {
  if (problem && typeof problem === 'object') {
    const parts = [];
    if (problem.detail) parts.push(problem.detail);
    if (problem.errors) {
      for (const [field, messages] of Object.entries(problem.errors)) {
        for (const m of [].concat(messages)) if (!parts.some(p => p.includes(m))) parts.push(`${field}: ${m}`);
      }
    }
    if (Array.isArray(problem.problems)) for (const p of problem.problems) if (!parts.includes(p)) parts.push(p);
    if (parts.length === 0 && problem.title) parts.push(problem.title);
    if (parts.length > 0) return parts.join(' ');
  }
  if (status === 401) return 'You are not signed in.';
  if (status === 403) return 'You do not have permission to do that.';
  if (status === 404) return 'Not found.';
  return `The server answered ${status}.`;
}

async function antiforgeryHeader() {
  if (antiforgery === undefined) {
    try {
      const r = await fetch('/api/auth/antiforgery', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
      antiforgery = r.ok ? await r.json() : null;
    } catch {
      antiforgery = null;
    }
  }
  return antiforgery;
}

/** Sends a request; `body` is JSON unless it is FormData. Resolves to the parsed JSON (or null), rejects with ApiError. */
export async function api(method, url, body) {
  const headers = { Accept: 'application/json' };
  const init = { method, headers, credentials: 'same-origin' };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (UNSAFE.has(method)) {
    const token = await antiforgeryHeader();
    if (token) headers[token.headerName] = token.token;
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = text; }
  }
  if (!response.ok) {
    if (response.status === 401 && !url.startsWith('/api/auth/')) toSignIn();
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = url => api('GET', url);
export const post = (url, body) => api('POST', url, body ?? {});
export const put = (url, body) => api('PUT', url, body);
export const patch = (url, body) => api('PATCH', url, body);

/** The signed-in user ({ id, name, email, kind, roles, accountId, isManager }), or null when nobody is signed in. */
export function currentUser() {
  mePromise ??= (async () => {
    const r = await fetch('/api/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (r.ok) return await r.json();
    if (r.status === 401) return null;
    throw new ApiError(r.status, null);
  })();
  return mePromise;
}

export function toSignIn() {
  const here = location.pathname + location.search;
  location.assign('/signin?returnUrl=' + encodeURIComponent(here));
}

/** Resolves to the user when they are of `kind` (staff or client); otherwise sends them where they belong. */
export async function requireUser(kind) {
  const me = await currentUser();
  if (!me) {
    toSignIn();
    return new Promise(() => {});
  }
  if (kind && me.kind !== kind) {
    location.assign(me.kind === 'client' ? '/portal' : '/console');
    return new Promise(() => {});
  }
  return me;
}

export async function signOut() {
  try {
    await api('POST', '/api/auth/signout', {});
  } catch {
    // Signed out already: go to the sign-in page all the same.
  }
  location.assign('/signin');
}
