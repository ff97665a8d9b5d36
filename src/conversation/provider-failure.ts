// Cloud provider failures during a call: what is recorded for each one (retried or not), and the
// error a stage throws once it has given up, so the conversation can apologise and fall back.
import type { CallControl } from './call-contract.js';
import { ProviderError } from '../providers/errors.js';

export type ProviderStage = 'stt' | 'llm' | 'tts' | 'tool';

export interface ProviderFailureReport {
  /** The provider's `name` (e.g. `deepgram`, `openai-compatible:gpt-4o-mini`, `elevenlabs`). */
  provider: string;
  stage: ProviderStage;
  /** A ProviderError code (`unauthorized`, `timeout`, `connection-lost`, ...) or `error`. */
  code: string;
  message: string;
  /** The stage tries once more (or reopens); false = it gave up. */
  retrying: boolean;
}

/** A stage gave up on its provider; the conversation carries on without it. */
export class ProviderFailure extends Error {
  override readonly name = 'ProviderFailure';
  constructor(
    readonly report: ProviderFailureReport,
    options?: { cause?: unknown },
  ) {
    super(`${report.stage} provider ${report.provider} failed (${report.code}): ${report.message}`, options);
  }
}

export function failureReport(provider: string, stage: ProviderStage, err: unknown, retrying: boolean): ProviderFailureReport {
  const code = err instanceof ProviderError ? err.code : 'error';
  return { provider, stage, code, message: err instanceof Error ? err.message : String(err), retrying };
}

/** On the call's timeline and in the failure counter. */
export function recordProviderFailure(call: CallControl, report: ProviderFailureReport): void {
  call.record('provider-failure', { ...report });
  call.countProviderFailure(report.provider, report.code);
  call.log.warn({ provider: report.provider, stage: report.stage, code: report.code, retrying: report.retrying }, 'provider failure');
}
