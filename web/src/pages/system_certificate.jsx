// The HTTPS certificate: what the box serves and its device CA (fingerprints, validity), the CA's
// download with a short "install it once", and the upload of a site certificate and its key. A
// refused certificate is said in words and the old one stays (the fingerprints shown again).
import { useState } from 'preact/hooks';
import { apiPut, usePoll } from '../api.js';
import { formatDateTime, t } from '../i18n.js';
import { Page } from './devices.jsx';
import { Confirm, Field } from '../form.jsx';
import { Loading } from './config_kit.jsx';
import { SystemNav } from './system_common.jsx';

function CertCard({ id, title, cert, children }) {
  return (
    <section class="card" aria-labelledby={`${id}-title`} data-cert={id}>
      <h2 id={`${id}-title`}>{title}</h2>
      {!cert ? <p>{t('certNone')}</p> : (
        <dl class="rows">
          <div class="row"><dt>{t('certSubject')}</dt><dd>{cert.subject}</dd></div>
          <div class="row"><dt>{t('certFingerprint')}</dt><dd class="fingerprint" data-field="fingerprint">{cert.sha256_fingerprint}</dd></div>
          <div class="row"><dt>{t('certFrom')}</dt><dd>{formatDateTime(cert.not_before)}</dd></div>
          <div class={new Date(cert.not_after) < Date.now() ? 'row bad' : 'row'}><dt>{t('certUntil')}</dt><dd>{formatDateTime(cert.not_after)}</dd></div>
          <div class="row"><dt>{t('certKey')}</dt><dd>{cert.key_type}</dd></div>
        </dl>
      )}
      {children}
    </section>
  );
}

const readFile = (file) => (file ? file.text() : Promise.resolve(''));

function Upload() {
  const [files, setFiles] = useState({ certificate: null, key: null });
  const [errors, setErrors] = useState({});
  const [step, setStep] = useState('idle'); // idle | confirm | busy
  const [result, setResult] = useState(null);
  const pick = (name) => (e) => setFiles({ ...files, [name]: e.currentTarget.files[0] || null });
  const ask = (e) => {
    e.preventDefault();
    setResult(null);
    const missing = {};
    if (!files.certificate) missing.certificate = t('certPickCert');
    if (!files.key) missing.key = t('certPickKey');
    setErrors(missing);
    if (!Object.keys(missing).length) setStep('confirm');
  };
  const upload = async () => {
    setStep('busy');
    try {
      const body = { certificate: await readFile(files.certificate), private_key: await readFile(files.key) };
      const answer = await apiPut('/api/v1/system/certificate', body);
      setResult({ ok: true, text: t('certInstalled', { fingerprint: answer.sha256_fingerprint }) });
    } catch (e) {
      setResult({ ok: false, text: t('certRefused', { message: e.message }) });
    } finally {
      setStep('idle');
    }
  };
  return (
    <form class="form card" onSubmit={ask} noValidate aria-labelledby="upload-title">
      <h2 id="upload-title">{t('certUpload')}</h2>
      <p class="help">{t('certUploadHelp')}</p>
      <Field id="cert-file" label={t('certFile')} error={errors.certificate}>
        {(a) => <input {...a} type="file" accept=".pem,.crt,.cer,application/x-pem-file" onChange={pick('certificate')} />}
      </Field>
      <Field id="key-file" label={t('certKeyFile')} error={errors.key}>
        {(a) => <input {...a} type="file" accept=".pem,.key" onChange={pick('key')} />}
      </Field>
      {step === 'idle' ? <div class="actions"><button type="submit" class="button primary">{t('certUploadButton')}</button></div> : (
        <Confirm question={t('certConfirm')} yes={t('certUploadYes')} busy={step === 'busy'}
                 onYes={upload} onNo={() => setStep('idle')} />
      )}
      {result ? <p class={result.ok ? 'ok-text' : 'error-text'} role={result.ok ? 'status' : 'alert'} id="cert-result">{result.text}</p> : null}
    </form>
  );
}

export function CertificatePage() {
  const { data, error, updatedAt } = usePoll('/api/v1/system/certificate', 10000);
  return (
    <Page title={t('sysCertTitle')} updatedAt={updatedAt}>
      <SystemNav current="certificate" />
      {!data ? <Loading error={error} /> : (
        <>
          <CertCard id="in-use" title={data.site_certificate_in_use ? t('certInUseSite') : t('certInUseDevice')} cert={data.in_use} />
          <CertCard id="ca" title={t('certCa')} cert={data.ca}>
            {data.ca ? (
              <>
                <p>{t('certCaHelp')}</p>
                <p><a class="button primary" href="/api/v1/system/ca-certificate" download="ews-device-ca.pem">{t('certCaDownload')}</a></p>
              </>
            ) : null}
          </CertCard>
        </>
      )}
      <Upload />
    </Page>
  );
}
