// Live values pushed by the device over its WebSocket (GET /api/v1/live, docs/api.md): one shared
// connection while a page listens, reconnected by itself with a growing back-off (1 s doubling
// up to 30 s). A page loads its snapshot once over HTTPS and then applies the pushed `values` and
// `state` messages; after a reconnection it loads the snapshot again (messages were missed), and
// while the socket is down it falls back to reloading the snapshot every 10 s.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiGet } from './api.js';
import { signal } from './signal.js';

// 'idle' (nobody listens) | 'connecting' | 'open' | 'lost' (retrying at `retryAt`)
export const liveLink = signal({ state: 'idle' });

const MIN_BACKOFF_MS = 1000;
const MAX_BACKOFF_MS = 30000;
const WATCH_RENEW_MS = 30000; // the server watches for 60 s (LiveApi::kWatchDuration)
const FALLBACK_POLL_MS = 10000;

const listeners = new Set();
const lastStates = new Map(); // device id -> its latest `state` message (sent on change only)
const watched = new Map(); // device id -> number of pages watching it
let socket = null;
let backoff = MIN_BACKOFF_MS;
let retryTimer;
let renewTimer;

function sendWatch(id) {
  if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'watch', device: id }));
}

function connect() {
  clearTimeout(retryTimer);
  if (!listeners.size) return;
  liveLink.set({ state: 'connecting' });
  const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/live`;
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    backoff = MIN_BACKOFF_MS;
    liveLink.set({ state: 'open', since: new Date() });
    for (const id of watched.keys()) sendWatch(id);
    clearInterval(renewTimer);
    renewTimer = setInterval(() => { for (const id of watched.keys()) sendWatch(id); }, WATCH_RENEW_MS);
  };
  ws.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    if (message.type === 'state') lastStates.set(message.device, message);
    for (const listener of [...listeners]) listener(message);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    clearInterval(renewTimer);
    if (!listeners.size) { liveLink.set({ state: 'idle' }); return; }
    const delay = backoff;
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
    liveLink.set({ state: 'lost', retryAt: Date.now() + delay });
    retryTimer = setTimeout(connect, delay);
  };
}

function listen(listener) {
  listeners.add(listener);
  if (!socket && liveLink.value.state !== 'lost') connect();
  return () => {
    listeners.delete(listener);
    // Closed a moment later, so that going from one page to the next keeps the connection.
    setTimeout(() => {
      if (listeners.size) return;
      clearTimeout(retryTimer);
      clearInterval(renewTimer);
      const ws = socket;
      socket = null;
      ws?.close();
      liveLink.set({ state: 'idle' });
    }, 2000);
  };
}

// Asks the device to poll `id` every 2 s while a page shows it (the device page, the chargers).
export function useWatch(ids) {
  const key = ids.join('\n');
  useEffect(() => {
    const list = key ? key.split('\n') : [];
    for (const id of list) {
      watched.set(id, (watched.get(id) || 0) + 1);
      sendWatch(id);
    }
    return () => {
      for (const id of list) {
        const n = (watched.get(id) || 1) - 1;
        if (n) watched.set(id, n); else watched.delete(id);
      }
    };
  }, [key]);
}

// Applies one pushed message to a device object (as GET /api/v1/devices writes it); returns the
// new object, or the same one when the message is not about it.
export function applyLive(device, message) {
  if (message.device !== device.id) return device;
  if (message.type === 'values') {
    const known = new Map(device.values.map((v) => [v.quantity, v]));
    const values = message.values.map((v) => ({ ...known.get(v.quantity), ...v,
      name: known.get(v.quantity)?.name || v.quantity }));
    // Quantities of the last full poll that this poll did not read keep their value.
    for (const v of device.values) if (!values.some((n) => n.quantity === v.quantity)) values.push(v);
    return { ...device, values, time: message.time, online: true, liveState: 'online',
      since: device.liveState === 'online' ? device.since : message.time, state: 'ok' };
  }
  if (message.type === 'state') {
    return { ...device, liveState: message.state, since: message.time,
      online: message.state === 'online', state: message.problem || (message.state === 'online' ? 'ok' : message.state) };
  }
  return device;
}

// A page's devices: `load()` gives {…, devices:[…]} (its snapshot over HTTPS); pushed messages
// update them. Returns {data, error, updatedAt}, as usePoll did.
export function useLiveDevices(load) {
  const [state, setState] = useState({ data: null, error: null, updatedAt: null });
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let alive = true;
    let fallback;
    const refresh = async () => {
      try {
        const data = await loadRef.current();
        // The states pushed so far (the connection's first messages often come before the
        // snapshot) say since when each device is in its state.
        data.devices = data.devices.map((d) => (lastStates.has(d.id) ? applyLive(d, lastStates.get(d.id)) : d));
        if (alive) setState({ data, error: null, updatedAt: new Date() });
      } catch (error) {
        if (alive) setState((s) => ({ ...s, error }));
      }
    };
    let wasLost = false;
    const onLink = (link) => {
      clearInterval(fallback);
      if (link.state === 'open' && wasLost) refresh(); // messages were missed meanwhile
      if (link.state === 'lost') {
        wasLost = true;
        fallback = setInterval(refresh, FALLBACK_POLL_MS);
      }
    };
    const unlink = liveLink.subscribe(onLink);
    const unlisten = listen((message) => {
      if (!alive || (message.type !== 'values' && message.type !== 'state')) return;
      setState((s) => (s.data ? { ...s, updatedAt: new Date(), data: { ...s.data,
        devices: s.data.devices.map((d) => applyLive(d, message)) } } : s));
    });
    refresh();
    return () => { alive = false; clearInterval(fallback); unlink(); unlisten(); };
  }, []);
  return state;
}

export const loadDevices = () => apiGet('/api/v1/devices');
