import type { MediaRule } from './media-rules.js';
import type { PacingSummary } from './pacing.js';
import type { StartShape } from './exotel-messages.js';

/** Times are ms since the `start` event was sent, unless named otherwise. */
export type ViolationRule = MediaRule | 'burst' | 'invalid-message' | 'binary-frame' | 'unknown-event';

export interface Violation {
  atMs: number;
  rule: ViolationRule;
  message: string;
  /** Index of the bot media frame involved, when there is one. */
  frame?: number;
}

export interface MarkRecord {
  name: string;
  receivedAtMs: number;
  /** Playout clock position (ms since start, 20 ms ticks) when the mark arrived. */
  receivedAtPlayoutMs: number;
  /** Audio queued in front of the mark when it arrived. */
  queuedAheadMs: number;
  status: 'pending' | 'echoed' | 'dropped';
  echoedAtMs?: number;
  /** Playout clock position (ms of played audio/silence since start) when echoed. */
  echoedAtPlayoutMs?: number;
}

export interface ClearRecord {
  atMs: number;
  droppedMs: number;
  droppedMarks: string[];
}

export interface TimelineEntry {
  atMs: number;
  text: string;
}

export type EndedBy = 'caller' | 'bot';

export interface SimReport {
  callSid: string;
  streamSid: string;
  accountSid: string;
  streamUrl: string;
  sampleRate: number;
  callerFrameMs: number;
  startShape: StartShape;
  customParameters: Record<string, string>;
  webhook?: { url: string; method: string; status: number; elapsedMs: number };
  /** Dial to WebSocket open (includes the webhook hop), wall ms. */
  connectMs: number;
  handshakeAttempts: number;
  /** `start` sent -> first bot media frame received. */
  firstBotAudioMs: number | null;
  botMedia: {
    frames: number;
    bytes: number;
    audioMs: number;
    /** Decoded payload size in bytes -> frame count. */
    sizeHistogram: Record<string, number>;
    streamSidMismatches: number;
  };
  callerMedia: { frames: number; audioMs: number };
  dtmfSent: Array<{ digit: string; atMs: number }>;
  marks: { sent: number; echoed: number; dropped: number; records: MarkRecord[] };
  clears: ClearRecord[];
  pacing: PacingSummary;
  violations: Violation[];
  violationCounts: Partial<Record<ViolationRule, number>>;
  endedBy: EndedBy;
  closeCode: number;
  closeReason: string;
  durationMs: number;
  /** What the caller heard: bot audio as played, with the silence around it, at `sampleRate`. */
  playedAudio: Int16Array;
  timeline: TimelineEntry[];
  notes: string[];
}

/** JSON-friendly view: the played audio becomes its length. */
export function reportToJson(report: SimReport): Record<string, unknown> {
  const { playedAudio, ...rest } = report;
  return { ...rest, playedAudio: { samples: playedAudio.length, ms: Math.round((playedAudio.length / report.sampleRate) * 1000) } };
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)}s`.padStart(9);
}

/** Human-readable summary for the CLI. */
export function formatReport(report: SimReport, maxTimeline = 40): string {
  const lines: string[] = [];
  lines.push(`call_sid ${report.callSid}  stream_sid ${report.streamSid}`);
  const via = report.webhook ? ` via webhook ${report.webhook.method} (HTTP ${report.webhook.status}, ${Math.round(report.webhook.elapsedMs)} ms)` : '';
  lines.push(`stream ${report.streamUrl}${via}`);
  lines.push(
    `${report.sampleRate} Hz, caller frames ${report.callerFrameMs} ms, connected in ${Math.round(report.connectMs)} ms` +
      (report.handshakeAttempts > 1 ? ` (${report.handshakeAttempts} attempts)` : ''),
  );
  lines.push('timeline:');
  const tl = report.timeline;
  // Keep the beginning and the end (hangup) when the middle is long.
  const shown = tl.length <= maxTimeline ? tl : [...tl.slice(0, maxTimeline - 10), undefined, ...tl.slice(-10)];
  for (const entry of shown) {
    lines.push(entry ? `  ${seconds(entry.atMs)}  ${entry.text}` : `  … ${tl.length - maxTimeline} more entries …`);
  }
  const first = report.firstBotAudioMs === null ? 'none' : `${Math.round(report.firstBotAudioMs)} ms after start`;
  lines.push(`first bot audio: ${first}`);
  const sizes = Object.entries(report.botMedia.sizeHistogram)
    .map(([bytes, count]) => `${bytes} B ×${count}`)
    .join(', ');
  lines.push(
    `bot audio: ${report.botMedia.frames} frames, ${(report.botMedia.audioMs / 1000).toFixed(2)} s` +
      (sizes ? ` (${sizes})` : '') +
      (report.botMedia.streamSidMismatches > 0 ? `; ${report.botMedia.streamSidMismatches} with a foreign stream_sid (tolerated)` : ''),
  );
  const p = report.pacing;
  lines.push(
    `pacing: max queued ahead ${Math.round(p.maxAheadMs)} ms, bursts ${p.bursts.length} (> ${p.burstThresholdMs} ms), ` +
      `underruns ${p.underruns.count} (${Math.round(p.underruns.totalGapMs)} ms), ` +
      `jitter p50 ${p.jitterMs.p50.toFixed(1)} ms p99 ${p.jitterMs.p99.toFixed(1)} ms`,
  );
  lines.push(
    `marks: ${report.marks.sent} sent, ${report.marks.echoed} echoed, ${report.marks.dropped} dropped by clear; clears: ${report.clears.length}`,
  );
  const ender = report.endedBy === 'caller' ? 'caller hung up' : 'bot closed the socket';
  lines.push(`ended: ${ender}, close code ${report.closeCode}, call ${(report.durationMs / 1000).toFixed(2)} s`);
  for (const note of report.notes) lines.push(`note: ${note}`);
  if (report.violations.length === 0) {
    lines.push('violations: none');
  } else {
    lines.push(`violations (${report.violations.length}):`);
    for (const [rule, n] of Object.entries(report.violationCounts)) {
      const first = report.violations.find((v) => v.rule === rule) as Violation;
      lines.push(`  [${rule}] ×${n}, first at ${(first.atMs / 1000).toFixed(3)}s: ${first.message}`);
    }
  }
  return lines.join('\n');
}
