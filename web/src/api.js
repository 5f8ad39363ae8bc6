// The only way the pages reach the box: its HTTPS API. Tracks whether the device answers
// (the connection-lost banner) and the session (cookie + CSRF token, docs/api.md).
import { useEffect, useRef, useState } from 'preact/hooks';
import { signal } from './signal.js';

export const connection = signal('ok'); // 'ok' | 'lost'
// state: 'unknown' (not asked yet), 'unavailable' (the device has no session API yet),
// 'none' (not logged in), 'active' (logged in; role, must_change_codes, csrf_token).
export const session = signal({ state: 'unknown' });

const TIMEOUT_MS = 8000;

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// fetch() on the device: tracks the connection (the banner), aborts after `timeoutMs` (none: no
// limit) and turns an error answer into an ApiError with the status and the device's message.
async function send(path, init, timeoutMs) {
  const controller = new AbortController();
  const timer = timeoutMs ? setTimeout(() => controller.abort(), timeoutMs) : undefined;
  let response;
  try {
    response = await fetch(path, {
      ...init, cache: 'no-store', credentials: 'same-origin', signal: controller.signal,
    });
  } catch (e) {
    connection.set('lost');
    throw new ApiError(0, e.name === 'AbortError' ? 'timeout' : e.message);
  } finally {
    clearTimeout(timer);
  }
  connection.set('ok');
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try { message = (await response.json())?.error?.message || message; } catch (e) { /* not JSON */ }
    if (response.status === 401 && session.value.state === 'active') session.set({ state: 'none' });
    throw new ApiError(response.status, message);
  }
  return response;
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const csrf = session.value.csrf_token;
  if (method !== 'GET' && csrf) headers['X-CSRF-Token'] = csrf;
  const response = await send(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  }, TIMEOUT_MS);
  try { return await response.json(); } catch (e) { return null; /* not JSON */ }
}

export const apiGet = (path) => request('GET', path);
export const apiPost = (path, body) => request('POST', path, body);
export const apiPut = (path, body) => request('PUT', path, body);

// Polls `path` (none: nothing) every `intervalMs`, for what the live WebSocket does not push (LEDs, health, …;
// device values come by web/src/live.js); a failed poll keeps the last data and retries on the
// same rhythm, so the page recovers by itself.
export function usePoll(path, intervalMs) {
  const [state, setState] = useState({ data: null, error: null, updatedAt: null });
  const alive = useRef(true);
  useEffect(() => {
    if (!path) return undefined; // nothing to poll (yet)
    alive.current = true;
    let timer;
    const tick = async () => {
      try {
        const data = await apiGet(path);
        if (alive.current) setState({ data, error: null, updatedAt: new Date() });
      } catch (error) {
        if (alive.current) setState((s) => ({ ...s, error }));
      }
      if (alive.current) timer = setTimeout(tick, intervalMs);
    };
    tick();
    return () => { alive.current = false; clearTimeout(timer); };
  }, [path, intervalMs]);
  return state;
}

// Asks the device who is logged in. A 404 means this device does not serve the session API yet.
export async function refreshSession() {
  try {
    const data = await apiGet('/api/v1/session');
    // The security branch answers the session object itself; accept {"session":{…}} as well.
    session.set({ state: 'active', ...(data.session ?? data) });
  } catch (e) {
    if (e.status === 404) session.set({ state: 'unavailable' });
    else if (e.status === 401 || e.status === 403) session.set({ state: 'none' });
    else if (session.value.state === 'unknown') {
      // Device unreachable: ask again shortly (the banner says so meanwhile).
      setTimeout(refreshSession, 3000);
    }
  }
}

// Downloads a file from the API (a CSV): its text and the name the device gives it. Errors as for
// the JSON routes (ApiError with the status and the device's message).
export async function apiText(path) {
  const response = await send(path, {});
  const disposition = response.headers.get('Content-Disposition') || '';
  const name = /filename="?([^";]+)"?/.exec(disposition)?.[1] || null;
  return { text: await response.text(), name };
}
