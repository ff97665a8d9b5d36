// The caller's voice as "runs": voiced stretches joined across short unvoiced gaps, so VAD
// flicker inside a word does not restart the count towards min-speech / barge-in thresholds.
// Pure bookkeeping over host-supplied times; allocation-free per frame.

export class SpeechRuns {
  /** Voice is on now (continues until voiceOff). */
  active = false;
  readonly #gapMs: number;
  #activeSince = 0;
  #lastVoiceMs = Number.NEGATIVE_INFINITY;
  #runOnsetMs = Number.NaN; // NaN: no live run
  #runClosedMs = 0; // voiced ms of the run's finished stretches
  #totalClosedMs = 0; // voiced ms of the whole call's finished stretches
  #floorMs = Number.NEGATIVE_INFINITY; // voice before this does not count (masked)
  #consumed = false;

  constructor(gapMs: number) {
    this.#gapMs = gapMs;
  }

  voiceOn(atMs: number): void {
    if (this.active) return;
    if (Number.isNaN(this.#runOnsetMs) || atMs - this.#lastVoiceMs > this.#gapMs) {
      this.#runOnsetMs = atMs;
      this.#runClosedMs = 0;
      this.#consumed = false;
    }
    this.active = true;
    this.#activeSince = atMs;
  }

  voiceOff(atMs: number): void {
    if (!this.active) return;
    const end = Math.max(atMs, this.#activeSince);
    const counted = Math.max(0, end - Math.max(this.#activeSince, this.#floorMs));
    this.#runClosedMs += counted;
    this.#totalClosedMs += counted;
    this.#lastVoiceMs = end;
    this.active = false;
  }

  /** A run exists that may still open a turn or interrupt (not consumed by a forced turn end). */
  get hasRun(): boolean {
    return !Number.isNaN(this.#runOnsetMs) && !this.#consumed;
  }

  /** Where the current run's counted voice began. */
  get runOnsetMs(): number {
    return Math.max(this.#runOnsetMs, this.#floorMs);
  }

  lastVoiceMs(nowMs: number): number {
    return this.active ? nowMs : this.#lastVoiceMs;
  }

  runVoicedMs(nowMs: number): number {
    return this.#runClosedMs + this.#openMs(nowMs);
  }

  /** Voiced ms over the whole call; differences of it measure a turn's voice. */
  totalVoicedMs(nowMs: number): number {
    return this.#totalClosedMs + this.#openMs(nowMs);
  }

  /** When runVoicedMs reaches `ms` if the voice stays on (only meaningful while active). */
  reachesAtMs(ms: number): number {
    return Math.max(this.#activeSince, this.#floorMs) + ms - this.#runClosedMs;
  }

  /** Voice before `untilMs` must not count (greeting protection, half-duplex): the run restarts there. */
  mask(untilMs: number): void {
    if (untilMs <= this.#floorMs) return;
    this.#floorMs = untilMs;
    this.#runClosedMs = 0;
    if (!this.active) this.#runOnsetMs = Number.NaN;
  }

  /** The current run was used up (a turn was force-ended inside it): only a new run counts. */
  consume(): void {
    this.#consumed = true;
  }

  #openMs(nowMs: number): number {
    return this.active ? Math.max(0, nowMs - Math.max(this.#activeSince, this.#floorMs)) : 0;
  }
}
