// The offline brain: a deterministic intent engine over an agent definition. It answers what the
// recogniser understood (intents, slot values spoken or typed, keypad menu choices), and when it
// did not understand, says so and asks again instead of guessing. A spoken slot value is read back
// before it is acted on (when the slot has `confirm`); yes and no are heard only after a yes/no question.
import { promptParts, type AgentDefinition, type IntentSpec } from '../definition/schema.js';
import { speakDigits } from './digits.js';
import { longestDigitRun } from '../../language/spoken-digits.js';
import { phraseWords } from '../../providers/stt/phrase-grammar.js';
import { lastIndexOfRun } from './intent-matcher.js';
import { GENERAL_GRAMMAR, IntentGrammar, YES_NO_GRAMMAR, confirmGrammarKey, slotGrammarKey, type GrammarMatch } from './intent-grammar.js';
import type { Brain, BrainInput, BrainOutput, BrainReply, BrainSession } from '../../conversation/brain.js';

/** Wrong or missing slot values accepted before the agent stops asking for it. */
const MAX_SLOT_RETRIES = 2;

/** A question the caller answers with yes or no: its last sentence asks and opens with an auxiliary verb (English). */
const YES_NO_OPENER = /^(is|are|am|was|were|do|does|did|can|could|shall|should|will|would|have|has|may)\b/i;
export function asksYesNo(text: string): boolean {
  const last = text.trim().split(/(?<=[.!?])\s+/).pop() ?? '';
  return last.endsWith('?') && YES_NO_OPENER.test(last);
}

export class IntentBrain implements Brain {
  readonly grammar: IntentGrammar;

  constructor(readonly definition: AgentDefinition) {
    this.grammar = new IntentGrammar(definition);
  }

  get grammars() {
    return this.grammar.specs;
  }

  fixedReplies(): BrainReply[] {
    const d = this.definition;
    const out: BrainReply[] = [greetingReply(d)];
    const p = d.prompts;
    out.push(
      { text: p.fallback, label: 'fallback' },
      { text: p.notUnderstood, label: 'not-understood' },
      { text: p.apology, label: 'apology' },
      { text: p.howCanIHelp, label: 'yes' },
    );
    for (const text of d.idle?.prompts ?? []) out.push({ text, label: 'idle' });
    if (d.idle) out.push({ text: d.idle.goodbye, label: 'idle-goodbye' });
    if (d.limits) out.push({ text: d.limits.wrapUp, label: 'max-duration' });
    for (const intent of d.intents) {
      if (intent.slot) out.push({ text: intent.slot.ask, label: intent.name }, { text: intent.slot.retry, label: intent.name });
      if (!intent.reply.includes('{')) out.push(intentReply(intent, intent.reply));
    }
    return out;
  }

  startSession(): BrainSession {
    return new IntentSession(this.definition, this.grammar);
  }
}

function greetingReply(d: AgentDefinition): BrainReply {
  const { text, voice } = promptParts(d.greeting);
  return { text, voice, label: 'greeting' };
}

function fillSlot(template: string, name: string, value: string): string {
  return template.replaceAll(`{${name}}`, speakDigits(value));
}

function intentReply(intent: IntentSpec, text: string): BrainReply {
  const reply: BrainReply = { text, label: intent.name };
  if (intent.action !== 'reply') reply.action = { type: intent.action, reason: `intent:${intent.name}` };
  return reply;
}

class IntentSession implements BrainSession {
  /** The intent whose slot we asked for, and how often it went wrong. */
  #asking: { intent: IntentSpec; retries: number } | null = null;
  /** A spoken value read back, waiting for yes/no (or a correction). */
  #confirming: { intent: IntentSpec; value: string; retries: number } | null = null;
  #keys = '';
  #failures = 0;
  #last: BrainReply | null = null;

  constructor(
    private readonly def: AgentDefinition,
    private readonly grammar: IntentGrammar,
  ) {}

  greeting(): BrainReply {
    return (this.#last = greetingReply(this.def));
  }

  isComplete(text: string): boolean | undefined {
    const slots = this.#asking ? [this.#asking.intent.slot] : this.def.intents.map((i) => i.slot);
    const need = Math.min(...slots.map((s) => s?.minDigits ?? Infinity));
    const said = longestDigitRun(text);
    // One digit word alone is often a word of the sentence ("do" is Hindi for two, "one" a pronoun).
    if (said >= 2 && said < need) return false;
    // "my order number is" and no number yet (or one digit, or "four" heard as "for"): the number is still to come.
    const words = phraseWords(text);
    for (const lead of this.grammar.slotLeadIns) {
      const at = lastIndexOfRun(words, lead);
      if (at >= 0 && longestDigitRun(words.slice(at + lead.length).join(' ')) < need) return false;
    }
    return undefined;
  }

  grammarKey(): string {
    if (this.#confirming) return confirmGrammarKey(this.#confirming.intent);
    if (this.#asking) return slotGrammarKey(this.#asking.intent);
    return this.#last && asksYesNo(this.#last.text) ? YES_NO_GRAMMAR : GENERAL_GRAMMAR;
  }

  respond(input: BrainInput): BrainOutput {
    const reply = this.#respond(input);
    if (reply === null) {
      const slot = this.#asking?.intent.slot;
      return { kind: 'collect', timeoutMs: slot?.interDigitTimeoutMs ?? 4000 };
    }
    this.#last = reply;
    return { kind: 'reply', reply };
  }

  /** null = keep collecting keys. */
  #respond(input: BrainInput): BrainReply | null {
    switch (input.type) {
      case 'speech':
        return this.#onMatch(this.grammar.match(input.text, this.grammarKey()));
      case 'unrecognised':
        if (this.#confirming) return this.#confirmAgain();
        if (this.#asking) return this.#slotRetry();
        // Out-of-grammar speech was probably a request we do not handle: say what we can do.
        return this.#failed(input.reason === 'no-match' || input.reason === 'low-confidence' ? 'fallback' : 'not-understood');
      case 'dtmf':
        return this.#onKey(input.digit);
      case 'dtmfTimeout':
        return this.#finishKeys();
      case 'idle': {
        const prompts = this.def.idle?.prompts ?? [this.def.prompts.howCanIHelp];
        return { text: prompts[Math.min(input.count, prompts.length) - 1], label: 'idle' };
      }
    }
  }

  #onMatch(m: GrammarMatch | null): BrainReply {
    if (m === null) return this.#failed('fallback');
    const confirming = this.#confirming;
    this.#confirming = null;
    switch (m.kind) {
      case 'yes':
        this.#asking = null;
        if (confirming) return this.#answer(confirming.intent, confirming.value);
        return this.#succeeded({ text: this.def.prompts.howCanIHelp, label: 'yes' });
      case 'no': {
        if (confirming) {
          // The number read back was wrong: ask for it again.
          this.#asking = { intent: confirming.intent, retries: 0 };
          this.#keys = '';
          return { text: confirming.intent.slot!.retry, label: confirming.intent.name };
        }
        this.#asking = null;
        const bye = this.def.intents.find((i) => i.action === 'hangup');
        return this.#succeeded(bye ? intentReply(bye, bye.reply) : { text: this.def.prompts.howCanIHelp, label: 'no' });
      }
      case 'ambiguous':
        this.#confirming = confirming;
        return this.#failed('not-understood');
      case 'slotValue':
        if (m.value === null) {
          this.#asking ??= { intent: m.intent, retries: 0 };
          return this.#slotRetry();
        }
        return this.#spokenValue(m.intent, m.value);
      case 'intent':
        if (!m.intent.slot) {
          this.#asking = null;
          return this.#succeeded(intentReply(m.intent, m.intent.reply));
        }
        if (m.value) return this.#spokenValue(m.intent, m.value);
        this.#asking = { intent: m.intent, retries: 0 };
        this.#keys = '';
        return this.#succeeded({ text: m.intent.slot.ask, label: m.intent.name });
    }
  }

  /** A value the recogniser heard: read back first when the slot asks for it. */
  #spokenValue(intent: IntentSpec, value: string): BrainReply {
    const slot = intent.slot!;
    if (!slot.confirm) return this.#answer(intent, value);
    this.#asking = null;
    this.#confirming = { intent, value, retries: 0 };
    return this.#succeeded({ text: fillSlot(slot.confirm, slot.name, value), label: intent.name });
  }

  /** The read-back was not understood: ask once more, then ask for the value again. */
  #confirmAgain(): BrainReply {
    const c = this.#confirming!;
    if (++c.retries > MAX_SLOT_RETRIES - 1) {
      this.#confirming = null;
      this.#asking = { intent: c.intent, retries: 0 };
      return { text: c.intent.slot!.retry, label: c.intent.name };
    }
    return { text: fillSlot(c.intent.slot!.confirm!, c.intent.slot!.name, c.value), label: c.intent.name };
  }

  #onKey(digit: string): BrainReply | null {
    if (this.#confirming) {
      // Typing while the number is read back: the caller corrects it on the keypad.
      this.#asking = { intent: this.#confirming.intent, retries: 0 };
      this.#confirming = null;
      this.#keys = '';
    }
    const slot = this.#asking?.intent.slot;
    if (slot) {
      if (digit === slot.terminator) return this.#finishKeys();
      this.#keys += digit;
      return this.#keys.length >= slot.maxDigits ? this.#finishKeys() : null;
    }
    const language = this.def.languageMenu[digit];
    if (language !== undefined) return { text: '', label: 'language', switchLanguage: language };
    const target = this.def.dtmfMenu[digit];
    if (target === 'repeat' && this.#last) return { ...this.#last, label: 'repeat' };
    const intent = this.def.intents.find((i) => i.name === target);
    if (!intent) return this.#failed('fallback');
    return this.#onMatch({ kind: 'intent', intent, exact: true });
  }

  #finishKeys(): BrainReply {
    const keys = this.#keys;
    this.#keys = '';
    const asking = this.#asking;
    const slot = asking?.intent.slot;
    if (!asking || !slot) return this.#failed('fallback');
    if (/^\d+$/.test(keys) && keys.length >= slot.minDigits && keys.length <= slot.maxDigits) return this.#answer(asking.intent, keys);
    return this.#slotRetry();
  }

  #answer(intent: IntentSpec, value: string): BrainReply {
    this.#asking = null;
    const template = intent.answers?.[value] ?? intent.reply;
    return this.#succeeded(intentReply(intent, fillSlot(template, intent.slot!.name, value)));
  }

  #slotRetry(): BrainReply {
    const asking = this.#asking!;
    this.#keys = '';
    if (++asking.retries > MAX_SLOT_RETRIES) {
      this.#asking = null;
      return this.#failed('fallback');
    }
    return { text: asking.intent.slot!.retry, label: asking.intent.name };
  }

  #succeeded(reply: BrainReply): BrainReply {
    this.#failures = 0;
    return reply;
  }

  /** Could not help: say so, or hand over once that happened too often in a row. */
  #failed(label: 'fallback' | 'not-understood'): BrainReply {
    const transfer = this.def.transfer;
    if (transfer && ++this.#failures >= transfer.afterFailedTurns) {
      const intent = this.def.intents.find((i) => i.name === transfer.intent)!;
      this.#failures = 0;
      return { text: intent.reply, label: intent.name, action: { type: 'transfer', reason: `not understood ${transfer.afterFailedTurns} times` } };
    }
    return { text: label === 'fallback' ? this.def.prompts.fallback : this.def.prompts.notUnderstood, label };
  }
}

