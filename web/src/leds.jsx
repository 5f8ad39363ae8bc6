// The front panel's LEDs mirrored in the product's colours. A LED shows lit when it is on, or when
// it blinked since the last look (a 50 ms traffic blink mostly falls between two polls).
import { useRef } from 'preact/hooks';
import { usePoll } from './api.js';
import { t } from './i18n.js';

const ORDER = ['power', 'rx', 'tx', 'link', 'act'];
const LABEL = { power: 'ledPower', rx: 'ledRx', tx: 'ledTx', link: 'ledLink', act: 'ledAct' };

export function LedStrip() {
  const { data } = usePoll('/api/v1/leds', 700);
  const lastBlinks = useRef({});
  const leds = data?.leds || ORDER.map((name) => ({ name, on: false }));
  const items = leds.map((led) => {
    const before = lastBlinks.current[led.name];
    const blinked = led.blinks !== undefined && before !== undefined && led.blinks !== before;
    lastBlinks.current[led.name] = led.blinks;
    return { name: led.name, lit: led.on || blinked };
  });
  const hardware = data ? (data.hardware === 'simulated' ? t('ledsSimulated') : t('ledsBoard')) : '';
  return (
    <ul class="leds" aria-label={`${t('leds')}${hardware ? ` (${hardware})` : ''}`}
        title={hardware}>
      {items.map(({ name, lit }) => (
        <li key={name} class={`led led-${name}${lit ? ' on' : ''}`} data-led={name}
            data-lit={lit ? '1' : '0'}>
          <i aria-hidden="true" />
          <span>{t(LABEL[name] || name)}</span>
          <span class="sr-only">{lit ? t('ledOn') : t('ledOff')}</span>
        </li>
      ))}
    </ul>
  );
}
