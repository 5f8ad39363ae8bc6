// Administrator's home: is the box running, on time, recording?
import { usePoll } from '../api.js';
import { formatDateTime, formatDuration, t } from '../i18n.js';
import { Page } from './devices.jsx';

function Row({ label, children, bad }) {
  return (
    <div class={bad ? 'row bad' : 'row'}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

export function HealthPage() {
  const { data, error, updatedAt } = usePoll('/api/v1/health', 5000);
  if (!data) {
    return <Page title={t('healthTitle')}>{error ? <p class="error-text">{error.message}</p> : <p>{t('loading')}</p>}</Page>;
  }
  return (
    <Page title={t('healthTitle')} updatedAt={updatedAt}>
      <section class="card">
        <dl class="rows">
          <Row label={t('site')}>{data.site}</Row>
          <Row label={t('version')}>{data.version}</Row>
          <Row label={t('model')}>{t('modelValue', { size: data.model_size })}</Row>
          <Row label={t('uptime')}>{formatDuration(data.uptime_s)}</Row>
          <Row label={t('deviceTime')}>{formatDateTime(data.time)}</Row>
          <Row label={t('timeValid')} bad={!data.time_valid}>{data.time_valid ? t('timeOk') : t('timeInvalid')}</Row>
          <Row label={t('rtc')}>{data.rtc === 'board' ? t('rtcBoard') : t('rtcSimulated')}</Row>
          <Row label={t('history')} bad={!data.history}>{data.history ? t('historyOpen') : t('historyClosed')}</Row>
          <Row label={t('gateway')}>{data.modbus_port >= 0 ? t('portNumber', { port: data.modbus_port }) : t('gatewayOff')}</Row>
        </dl>
      </section>
    </Page>
  );
}
