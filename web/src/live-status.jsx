// The live connection in words, beside a page's title: live (since when), connecting, or lost
// with the next attempt counted down; the page keeps its last values meanwhile.
import { useEffect, useState } from 'preact/hooks';
import { formatTime, t } from './i18n.js';
import { liveLink } from './live.js';
import { useSignal } from './signal.js';

export function LiveStatus({ updatedAt }) {
  const link = useSignal(liveLink);
  const [, tick] = useState(0);
  useEffect(() => {
    if (link.state !== 'lost') return undefined;
    const timer = setInterval(() => tick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [link.state]);
  const updated = updatedAt ? ` · ${t('updated', { time: formatTime(updatedAt) })}` : '';
  const seconds = link.state === 'lost' ? Math.max(0, Math.ceil((link.retryAt - Date.now()) / 1000)) : 0;
  const words = { open: 'liveOpen', lost: 'liveLost', connecting: 'liveConnecting', idle: 'liveConnecting' }[link.state];
  return (
    <p class={`updated live-link live-${link.state}`} data-live={link.state}>
      <span role="status">{t(words)}</span>
      {link.state === 'lost' ? ` ${t('liveRetry', { seconds })}` : ''}{updated}
    </p>
  );
}
