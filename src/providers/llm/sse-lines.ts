// Server-Sent Events framing (html.spec.whatwg.org/multipage/server-sent-events.html): lines, `data:` fields
// joined per event, a blank line ending the event. Bounded: an event (or a line still waiting for its end)
// longer than `maxEventBytes` is refused, so a server cannot make us hold an endless line.
import { ProviderError } from '../errors.js';

export class SseLines {
  private pending = '';
  private data: string[] = [];
  private dataChars = 0;

  /** `maxEventChars` bounds one event's data and any unfinished line (UTF-16 units; JSON is mostly ASCII). */
  constructor(
    private readonly maxEventChars: number,
    private readonly where: string,
  ) {}

  /** Hands each completed event's `data` to `onData`; returns how many events completed. */
  push(text: string, onData: (data: string) => void): number {
    this.pending += text;
    let events = 0;
    let start = 0;
    for (let nl = this.pending.indexOf('\n'); nl >= 0; nl = this.pending.indexOf('\n', start)) {
      const end = nl > start && this.pending.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      events += this.line(this.pending.slice(start, end), onData);
      start = nl + 1;
    }
    this.pending = start === 0 ? this.pending : this.pending.slice(start);
    if (this.pending.length + this.dataChars > this.maxEventChars) this.tooLong();
    return events;
  }

  /** The stream ended: a final event without its blank line still counts. */
  end(onData: (data: string) => void): void {
    if (this.pending) this.line(this.pending, onData);
    this.pending = '';
    this.line('', onData);
  }

  private line(line: string, onData: (data: string) => void): number {
    if (line === '') {
      if (this.data.length === 0) return 0;
      const data = this.data.length === 1 ? this.data[0]! : this.data.join('\n');
      this.data = [];
      this.dataChars = 0;
      onData(data);
      return 1;
    }
    if (line.startsWith('data:')) {
      const value = line.charCodeAt(5) === 32 ? line.slice(6) : line.slice(5);
      this.dataChars += value.length + 1;
      if (this.dataChars > this.maxEventChars) this.tooLong();
      this.data.push(value);
    }
    // Comments (": keep-alive", OpenRouter's ": OPENROUTER PROCESSING") and event:/id:/retry: fields carry nothing we use.
    return 0;
  }

  private tooLong(): never {
    throw new ProviderError('bad-response', `${this.where} sent a stream event longer than ${this.maxEventChars} characters`, { limit: 'size' });
  }
}
