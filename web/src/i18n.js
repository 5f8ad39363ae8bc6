// French and English: the language comes from the browser (navigator.languages) unless the user
// picked one (kept in localStorage); numbers and dates follow the chosen language's conventions.
import { messages } from './messages.js';
import { signal } from './signal.js';

export const languages = [['en', 'English'], ['fr', 'Français']];

function initialLanguage() {
  try {
    const saved = localStorage.getItem('ews.lang');
    if (saved in messages) return saved;
  } catch (e) { /* storage disabled */ }
  for (const tag of navigator.languages || [navigator.language || 'en']) {
    const base = String(tag).toLowerCase().split('-')[0];
    if (base in messages) return base;
  }
  return 'en';
}

export const lang = signal(initialLanguage());

export function setLanguage(code) {
  try { localStorage.setItem('ews.lang', code); } catch (e) { /* storage disabled */ }
  lang.set(code);
}

// The BCP 47 locale for Intl: fr-FR gives "1 234,5" and "07/12/2026 14:05".
export function locale() {
  if (lang.value === 'fr') return 'fr-FR';
  const browser = (navigator.languages || []).find((tag) => tag.toLowerCase().startsWith('en'));
  return browser || 'en-GB';
}

export function t(key, params) {
  let text = messages[lang.value][key] ?? messages.en[key] ?? key;
  if (params) {
    for (const [name, value] of Object.entries(params)) text = text.split(`{${name}}`).join(value);
  }
  return text;
}

export function formatNumber(value, maximumFractionDigits) {
  const digits = maximumFractionDigits ?? (Math.abs(value) >= 1000 ? 1 : Math.abs(value) >= 10 ? 2 : 3);
  return new Intl.NumberFormat(locale(), { maximumFractionDigits: digits }).format(value);
}

// Energy in kWh or MWh with sensible rounding; other units as they come.
export function formatQuantity(value, unit) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  let v = value;
  let u = unit || '';
  if (u === 'Wh') {
    if (Math.abs(v) >= 1e6) { v /= 1e6; u = 'MWh'; } else { v /= 1e3; u = 'kWh'; }
  } else if (u === 'kWh' && Math.abs(v) >= 1e4) { v /= 1e3; u = 'MWh'; }
  const text = formatNumber(v);
  return u ? `${text}\u00a0${u}` : text;
}

export function formatDateTime(iso) {
  const date = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(date.getTime())) return '—';
  return new Intl.DateTimeFormat(locale(), {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
    timeZoneName: 'short',
  }).format(date);
}

export function formatTime(date) {
  return new Intl.DateTimeFormat(locale(), {
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).format(date);
}

export function formatDuration(seconds) {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return [d ? t('days', { n: d }) : '', h || d ? t('hours', { n: h }) : '', t('minutes', { n: m })]
    .filter(Boolean).join(' ');
}
