import { isPollutingKey } from '../limits/bounded-json.js';

/**
 * Flattens a request's query and body into one case-insensitive lookup: Exotel's applets send TitleCase
 * (`CallSid`), some proxies and SDKs lower-case it (`callsid`, `call_sid`).
 */
export class RequestParams {
  private readonly byKey = new Map<string, string>();
  /** Null-prototype: the keys are the caller's. */
  readonly raw: Record<string, string> = Object.create(null) as Record<string, string>;

  constructor(...sources: unknown[]) {
    for (const source of sources) {
      if (!source || typeof source !== 'object' || Array.isArray(source)) continue;
      for (const [k, v] of Object.entries(source as Record<string, unknown>)) {
        if (isPollutingKey(k)) continue;
        const value = Array.isArray(v) ? v[0] : v;
        if (value === undefined || value === null || typeof value === 'object') continue;
        const s = String(value);
        this.raw[k] = s;
        const norm = k.toLowerCase().replace(/[_-]/g, '');
        if (!this.byKey.has(norm)) this.byKey.set(norm, s);
      }
    }
  }

  /** First non-empty value among the given names (compared without case, `_` or `-`). */
  get(...names: string[]): string | undefined {
    for (const n of names) {
      const v = this.byKey.get(n.toLowerCase().replace(/[_-]/g, ''))?.trim();
      if (v) return v;
    }
    return undefined;
  }
}
