// The form parts every page shares (login, control, the administrator's and the installer's
// pages): a labelled field with its help and its error beside it, and the "are you sure?" step
// before an action. Small on purpose: the login page loads them at the start.
import { useEffect, useRef } from 'preact/hooks';
import { t } from './i18n.js';

// A labelled control with its help and its error next to it (aria-describedby ties them). The
// control is `children(attributes)` (a select, a textarea, an input of its own) or, without
// children, an <input> with the other props.
export function Field({ id, label, help, error, children, ...input }) {
  const described = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const a = { id, 'aria-describedby': described || undefined, 'aria-invalid': error ? 'true' : undefined };
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {help ? <p class="help" id={`${id}-help`}>{help}</p> : null}
      {typeof children === 'function' ? children(a) : <input {...input} {...a} />}
      {error ? <p class="field-error" id={`${id}-error`}>{error}</p> : null}
    </div>
  );
}

// "Are you sure?" before an action that changes the installation: the question, what follows from
// it (`children`: a consequence, the list of changes, warnings), the confirming button (`danger`
// when it removes or resets something) and Cancel. `title` names the group when the question is
// long. The question takes the focus (the button that opened it is gone): a screen reader reads
// it, Tab goes on to the answers. `focusCancel` puts the focus on Cancel instead, the safe choice
// for a command sent to a device.
export function Confirm({ title, question, children, yes, danger, busy, focusCancel, onYes, onNo }) {
  const questionRef = useRef(null);
  const cancelRef = useRef(null);
  useEffect(() => { (focusCancel ? cancelRef : questionRef).current?.focus(); }, []);
  return (
    <div class="confirm" role="group" aria-label={title || question}>
      <p ref={questionRef} tabIndex={-1}>{question}</p>
      {children}
      <div class="actions">
        <button type="button" class={danger ? 'button danger' : 'button primary'} disabled={busy} onClick={onYes}>{yes}</button>
        <button type="button" class="button" ref={cancelRef} disabled={busy} onClick={onNo}>{t('cancel')}</button>
      </div>
    </div>
  );
}
