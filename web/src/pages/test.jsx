// The installer's test page, Modbus Poll style: any register range of any device (configured, or
// an address on a line), read once or again every second; the raw words beside the decoded value;
// the exchange's time and the line's counters for that address; the front-panel LEDs mirrored
// large. From POST /api/v1/devices/{device}/registers, GET …/health and GET /api/v1/leds.
import { useEffect, useRef, useState } from 'preact/hooks';
import { apiGet, apiPost, usePoll } from '../api.js';
import { formatDateTime, formatNumber, formatTime, t } from '../i18n.js';
import { Page } from './devices.jsx';

const FUNCTIONS = [[3, 'testFn3'], [4, 'testFn4'], [1, 'testFn1'], [2, 'testFn2']];
const TYPES = ['', 'u16', 's16', 'u32', 's32', 'u64', 'float32'];
const ORDERS = ['', 'ABCD', 'CDAB', 'BADC', 'DCBA'];
const REPEAT_MS = 1000;
const LEDS = ['power', 'rx', 'tx', 'link', 'act'];
const LED_KEY = { power: 'ledPower', rx: 'ledRx', tx: 'ledTx', link: 'ledLink', act: 'ledAct' };

// "768", "0x0300" or "0300h": a register number.
function parseNumber(text) {
  const s = String(text).trim().toLowerCase();
  if (/^0x[0-9a-f]+$/.test(s)) return parseInt(s.slice(2), 16);
  if (/^[0-9a-f]+h$/.test(s)) return parseInt(s.slice(0, -1), 16);
  if (/^\d+$/.test(s)) return Number(s);
  return NaN;
}

const hex4 = (n) => `0x${n.toString(16).toUpperCase().padStart(4, '0')}`;

function LedPanel() {
  const { data } = usePoll('/api/v1/leds', 500);
  const last = useRef({});
  const leds = data?.leds || [];
  return (
    <section class="card" aria-labelledby="panel-title">
      <h2 id="panel-title">{t('testLeds')}</h2>
      <ul class="panel-leds" aria-label={t('leds')}>
        {LEDS.map((name) => {
          const led = leds.find((l) => l.name === name) || { on: false };
          const before = last.current[name];
          const lit = led.on || (led.blinks !== undefined && before !== undefined && led.blinks !== before);
          last.current[name] = led.blinks;
          return (
            <li key={name} class={`pled pled-${name}${lit ? ' on' : ''}`} data-led={name} data-lit={lit ? '1' : '0'}>
              <i aria-hidden="true" /><span>{t(LED_KEY[name])}</span>
              <span class="sr-only">{lit ? t('ledOn') : t('ledOff')}</span>
            </li>
          );
        })}
      </ul>
      <p class="note">{data ? (data.hardware === 'simulated' ? t('ledsSimulated') : t('ledsBoard')) : t('loading')}</p>
    </section>
  );
}

function Counters({ link, lineStats }) {
  if (!link) return null;
  const rows = [
    ['testLinkState', t(`testLink_${link.state}`) + (link.absent_since ? ` · ${t('stateSince', { time: formatDateTime(link.absent_since) })}` : '')],
    ['testRequests', link.requests], ['testAnswers', link.answers], ['testExceptions', link.exceptions],
    ['testTimeouts', link.timeouts], ['testCrc', link.crc_errors], ['testMisses', link.consecutive_misses],
    ['testAbsences', link.absences], ['testProbes', link.probes],
  ];
  if (lineStats) {
    rows.push(['testTransactions', lineStats.transactions], ['testAttempts', lineStats.attempts],
      ['testExpired', lineStats.expired_in_queue], ['testQueueFull', lineStats.rejected_queue_full]);
  }
  return (
    <section class="card" aria-labelledby="counters-title">
      <h2 id="counters-title">{t('testCounters')}</h2>
      <dl class="rows counters">
        {rows.map(([key, value]) => (
          <div key={key} data-counter={key}><dt>{t(key)}</dt><dd>{typeof value === 'number' ? formatNumber(value, 0) : value}</dd></div>
        ))}
      </dl>
    </section>
  );
}

function Result({ result }) {
  const raw = result.words || result.bits || [];
  return (
    <section class="card test-result" aria-labelledby="result-title">
      <h2 id="result-title">{t('testResult')}</h2>
      <p class="facts">{t('testTiming', { ms: formatNumber(result.elapsed_ms, 1), time: formatTime(result.at) })}
        {' · '}{t('testWhere', { line: result.line, address: result.address })}</p>
      {result.type ? (
        <p class="decoded">{t('testDecoded', { type: result.type, order: result.word_order || '' })}{' '}
          <strong class="number" data-decoded>{result.value_text ?? String(result.value)}</strong></p>
      ) : null}
      <table class="registers">
        <caption class="sr-only">{t('testRaw')}</caption>
        <thead><tr><th scope="col">{t('testRegister')}</th><th scope="col">{t('testDec')}</th>{result.words ? <th scope="col">{t('testHex')}</th> : null}</tr></thead>
        <tbody>
          {raw.map((w, i) => (
            <tr key={i} data-register={result.start + i}>
              <th scope="row">{result.start + i} <span class="note">({hex4(result.start + i)})</span></th>
              <td class="number" data-raw>{result.words ? w : (w ? '1' : '0')}</td>
              {result.words ? <td class="number">{result.hex?.[i] ?? hex4(w)}</td> : null}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

// `device`: the device to start with (#/test/<id>, the device page's link).
export function TestPage({ device }) {
  const { data } = usePoll('/api/v1/devices', 30000);
  const devices = data ? data.devices.filter((d) => d.line !== 'pulse' && d.address !== undefined) : [];
  const lines = data ? data.lines.filter((l) => l.name !== 'pulse') : [];
  const [form, setForm] = useState({ device: device || '', line: 'rs485', address: '1', fn: 3, start: '0', count: '', type: '', order: '' });
  const [errors, setErrors] = useState({});
  const [result, setResult] = useState(null);
  const [failure, setFailure] = useState(null);
  const [counters, setCounters] = useState(null);
  const [repeat, setRepeat] = useState(false);
  const [reads, setReads] = useState({ ok: 0, failed: 0 });
  const busy = useRef(false);
  const set = (key) => (e) => setForm({ ...form, [key]: key === 'fn' ? Number(e.currentTarget.value) : e.currentTarget.value });
  useEffect(() => {
    if (!form.device && devices.length) setForm((f) => ({ ...f, device: devices[0].id }));
  }, [devices.length]);
  const target = form.device === '*' ? `${form.line}:${form.address}` : form.device;

  // The counters of the chosen device before any read.
  useEffect(() => {
    if (!form.device || form.device === '*') { setCounters(null); return; }
    apiGet(`/api/v1/devices/${encodeURIComponent(form.device)}/health`)
      .then((h) => setCounters({ link: h.link, lineStats: h.line_stats }), () => setCounters(null));
  }, [form.device]);

  const validate = () => {
    const e = {};
    const start = parseNumber(form.start);
    if (!(start >= 0 && start <= 65535)) e.start = t('testStartError');
    const bits = form.fn === 1 || form.fn === 2;
    const count = form.count === '' ? undefined : parseNumber(form.count);
    if (count !== undefined && !(count >= 1 && count <= (bits ? 2000 : 125))) e.count = t('testCountError', { max: bits ? 2000 : 125 });
    if (form.device === '*' && !(Number(form.address) >= 1 && Number(form.address) <= 247)) e.address = t('testAddressError');
    setErrors(e);
    if (Object.keys(e).length) return null;
    const body = { function: form.fn, start };
    if (count !== undefined) body.count = count;
    if (!bits && form.type) body.type = form.type;
    if (!bits && form.order) body.word_order = form.order;
    return body;
  };

  const read = async () => {
    const body = validate();
    if (!body) return false;
    if (busy.current) return true;
    busy.current = true;
    try {
      const r = await apiPost(`/api/v1/devices/${encodeURIComponent(target)}/registers`, body);
      setResult({ ...r, at: new Date() });
      setFailure(null);
      setCounters({ link: r.link, lineStats: r.line_stats });
      setReads((n) => ({ ...n, ok: n.ok + 1 }));
    } catch (e) {
      setFailure(e.status === 0 ? t('connectionLost') : t('testFailed', { message: e.message }));
      setReads((n) => ({ ...n, failed: n.failed + 1 }));
      if (form.device !== '*') {
        apiGet(`/api/v1/devices/${encodeURIComponent(form.device)}/health`)
          .then((h) => setCounters({ link: h.link, lineStats: h.line_stats }), () => {});
      }
    } finally {
      busy.current = false;
    }
    return true;
  };

  // Repeat: one read a second, the next only once the previous answered.
  useEffect(() => {
    if (!repeat) return undefined;
    let alive = true;
    let timer;
    const loop = async () => {
      const started = await read();
      if (!started) { setRepeat(false); return; }
      if (alive) timer = setTimeout(loop, REPEAT_MS);
    };
    loop();
    return () => { alive = false; clearTimeout(timer); };
  }, [repeat, target, form.fn, form.start, form.count, form.type, form.order]);

  const bits = form.fn === 1 || form.fn === 2;
  const field = (key, label, input, help) => (
    <div class="field">
      <label for={`test-${key}`}>{label}</label>
      {input}
      {help ? <p class="note" id={`test-${key}-help`}>{help}</p> : null}
      {errors[key] ? <p class="field-error" id={`test-${key}-error`}>{errors[key]}</p> : null}
    </div>
  );
  const described = (key) => (errors[key] ? `test-${key}-error` : undefined);
  return (
    <Page title={t('testTitle')}>
      <p class="note">{t('testIntro')}</p>
      <form class="card test-form" onSubmit={(e) => { e.preventDefault(); setRepeat(false); read(); }}>
        <div class="grid">
          {field('device', t('testDevice'), (
            <select id="test-device" value={form.device} onChange={set('device')}>
              {devices.map((d) => <option key={d.id} value={d.id}>{d.name} ({d.line} @{d.address})</option>)}
              <option value="*">{t('testOther')}</option>
            </select>
          ))}
          {form.device === '*' ? field('line', t('testLine'), (
            <select id="test-line" value={form.line} onChange={set('line')}>
              {lines.map((l) => <option key={l.name} value={l.name}>{l.name}</option>)}
            </select>
          )) : null}
          {form.device === '*' ? field('address', t('testAddress'), (
            <input id="test-address" inputMode="numeric" value={form.address} onInput={set('address')}
                   aria-invalid={errors.address ? 'true' : undefined} aria-describedby={described('address')} />
          )) : null}
          {field('fn', t('testFunction'), (
            <select id="test-fn" value={form.fn} onChange={set('fn')}>
              {FUNCTIONS.map(([fn, key]) => <option key={fn} value={fn}>{t(key)}</option>)}
            </select>
          ))}
          {field('start', t('testStart'), (
            <input id="test-start" value={form.start} onInput={set('start')} autoComplete="off"
                   aria-invalid={errors.start ? 'true' : undefined} aria-describedby={described('start') || 'test-start-help'} />
          ), t('testStartHelp'))}
          {field('count', t('testCount'), (
            <input id="test-count" inputMode="numeric" value={form.count} onInput={set('count')} placeholder={t('testCountAuto')}
                   aria-invalid={errors.count ? 'true' : undefined} aria-describedby={described('count')} />
          ))}
          {!bits ? field('type', t('testType'), (
            <select id="test-type" value={form.type} onChange={set('type')}>
              {TYPES.map((ty) => <option key={ty} value={ty}>{ty || t('testRawOnly')}</option>)}
            </select>
          )) : null}
          {!bits ? field('order', t('testOrder'), (
            <select id="test-order" value={form.order} onChange={set('order')}>
              {ORDERS.map((o) => <option key={o} value={o}>{o || t('testOrderProfile')}</option>)}
            </select>
          )) : null}
        </div>
        <div class="actions">
          <button type="submit" class="button primary">{t('testRead')}</button>
          <button type="button" class="button" aria-pressed={repeat ? 'true' : 'false'} onClick={() => setRepeat(!repeat)}>
            {repeat ? t('testStop') : t('testRepeat')}
          </button>
        </div>
        <p class="facts" aria-live="off" data-reads>{t('testReads', { ok: reads.ok, failed: reads.failed })}</p>
        <div role="status">{failure ? <p class="error-text test-error">{failure}</p> : null}</div>
      </form>
      {result ? <Result result={result} /> : null}
      <Counters link={counters?.link} lineStats={counters?.lineStats} />
      <LedPanel />
    </Page>
  );
}
