// Small formatting helpers shared by the pages.

export function duration(ms) {
  if (ms == null || !Number.isFinite(ms)) return '–';
  const s = Math.max(0, Math.round(ms / 1000));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  const pad = (n) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m % 60)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

export function dateTime(ms) {
  if (ms == null) return '–';
  return new Date(ms).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });
}

/** Seconds since `originMs`, e.g. "+12.3 s" (events before it, such as the webhook, are "−0.5 s"). */
export function offset(ms, originMs) {
  if (ms == null || originMs == null) return '–';
  const s = (ms - originMs) / 1000;
  return `${s < 0 ? '−' : '+'}${Math.abs(s).toFixed(1)}\u00a0s`;
}

/** The number a person would look for: the caller's on inbound calls, the callee's on outbound ones. */
export function otherParty(call) {
  const inbound = call.direction === 'inbound' || call.direction === 'incoming';
  return (inbound ? call.from : call.to) ?? call.from ?? call.to ?? '–';
}
