// A device's state in words: online, absent, misconfigured or faulted (UI.md's status language),
// from the devices API's `online` and `state` (the latest poll's error message).
export function deviceStatus(device) {
  // A state pushed by the live WebSocket says it in the same words.
  if (device.liveState) return device.liveState;
  if (device.online) return 'online';
  const state = String(device.state || '').toLowerCase();
  if (state === 'not polled yet') return 'waiting';
  if (/no answer|not answer|timed? ?out|timeout|did not respond|failed to respond|no response|connection/.test(state)) {
    return 'absent';
  }
  if (/exception|illegal|profile|address|not (found|supported)|invalid|mismatch/.test(state)) {
    return 'misconfigured';
  }
  return 'faulted';
}

export const STATUS_KEY = {
  online: 'stateOnline',
  absent: 'stateAbsent',
  misconfigured: 'stateMisconfigured',
  faulted: 'stateFaulted',
  waiting: 'stateWaiting',
};
