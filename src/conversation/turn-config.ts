// Defaults and validation for the turn-taking engine's tuning.
import type { TurnTakingConfig } from './turn-types.js';

export const DEFAULT_TURN_CONFIG: Readonly<TurnTakingConfig> = Object.freeze({
  endpointSilenceMs: 600,
  endpointSilenceAfterFinalMs: 250,
  endpointSilenceIncompleteMs: 1500,
  minSpeechMs: 150,
  speechGapMs: 150,
  maxTurnMs: 30_000,
  bargeInMinSpeechMs: 250,
  bargeInMinLevelDbfs: -50,
  thinkingInterruptMinSpeechMs: 400,
  greetingProtectMs: 1500,
  protectWholeGreeting: false,
  falseInterruptionMaxSpeechMs: 500,
  falseInterruptionTranscriptWaitMs: 1500,
  idleMs: 8000,
  maxIdlePrompts: 2,
  idleWrapUp: true,
  maxCallMs: 15 * 60_000,
  maxDurationWrapUp: true,
  dtmfBargeIn: true,
  halfDuplex: false,
});

const NULLABLE = new Set<keyof TurnTakingConfig>([
  'endpointSilenceAfterFinalMs',
  'endpointSilenceIncompleteMs',
  'maxTurnMs',
  'bargeInMinLevelDbfs',
  'falseInterruptionTranscriptWaitMs',
  'maxCallMs',
]);

/** Defaults overlaid with `overrides`; throws RangeError naming the first bad field. */
export function resolveTurnConfig(overrides: Partial<TurnTakingConfig> = {}): TurnTakingConfig {
  const cfg: TurnTakingConfig = { ...DEFAULT_TURN_CONFIG };
  for (const [key, value] of Object.entries(overrides) as [keyof TurnTakingConfig, unknown][]) {
    if (!(key in DEFAULT_TURN_CONFIG)) throw new RangeError(`turn-taking: unknown option "${key}"`);
    if (value === undefined) continue;
    const def = DEFAULT_TURN_CONFIG[key];
    if (value === null) {
      if (!NULLABLE.has(key)) throw new RangeError(`turn-taking: ${key} cannot be null`);
    } else if (typeof def === 'boolean') {
      if (typeof value !== 'boolean') throw new RangeError(`turn-taking: ${key} must be a boolean`);
    } else if (key === 'bargeInMinLevelDbfs') {
      if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`turn-taking: ${key} must be a finite number`);
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new RangeError(`turn-taking: ${key} must be a finite number ≥ 0, got ${String(value)}`);
    }
    (cfg as unknown as Record<string, unknown>)[key] = value;
  }
  if (!Number.isInteger(cfg.maxIdlePrompts)) throw new RangeError('turn-taking: maxIdlePrompts must be an integer');
  // A zero idle or endpoint delay would fire on every tick; keep them meaningful.
  if (cfg.idleMs === 0) throw new RangeError('turn-taking: idleMs must be > 0');
  return cfg;
}
