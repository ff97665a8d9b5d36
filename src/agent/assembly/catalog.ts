import { normalizePhoneNumber, PhoneNumberError } from '../../exotel/phone-number.js';
import type { Agent } from '../../conversation/call-contract.js';

export interface AgentHints {
  /** Named by the webhook's or the WebSocket URL's `agent` parameter, or an Exotel custom parameter. */
  requested?: string;
  customField?: string;
  /** The number Exotel says was called. */
  to?: string;
  customParameters: Record<string, string>;
}

/** The agents this server can put on a call, and the rule that picks one. */
export class AgentCatalog {
  private readonly agents = new Map<string, Agent>();
  private readonly byCustomField = new Map<string, string>();
  private readonly byNumber = new Map<string, string>();

  constructor(private defaultName: string) {}

  /** `name`: another name the agent answers to (a cloud agent without its keys standing in for its fallback). */
  add(agent: Agent, name = agent.name): this {
    this.agents.set(name, agent);
    return this;
  }

  /** Calls whose CustomField is `value` go to `agent` unless they name one. */
  routeCustomField(value: string, agent: string): this {
    this.claim(this.byCustomField, value.trim(), agent, `CustomField "${value}"`);
    return this;
  }

  /** Calls to `number` (any Indian or E.164 form) go to `agent` unless they name one or a CustomField route matches. */
  routeNumber(number: string, agent: string): this {
    this.claim(this.byNumber, normalizePhoneNumber(number), agent, `number ${number}`);
    return this;
  }

  get(name: string): Agent | undefined {
    return this.agents.get(name);
  }

  names(): string[] {
    return [...this.agents.keys()];
  }

  setDefault(name: string): void {
    if (!this.agents.has(name)) throw new Error(`unknown agent "${name}" (known: ${this.names().join(', ')})`);
    this.defaultName = name;
  }

  get defaultAgent(): string {
    return this.defaultName;
  }

  /**
   * The agent for a call, first match wins: the requested name (webhook/URL `agent`, then the `agent`
   * custom parameter), the CustomField route, the called number's route, the default. An unknown name
   * never fails a call.
   */
  select(hints: AgentHints): Agent {
    const candidates = [
      hints.requested,
      hints.customParameters.agent,
      hints.customField === undefined ? undefined : this.byCustomField.get(hints.customField.trim()),
      hints.to === undefined ? undefined : this.byNumber.get(canonicalNumber(hints.to) ?? ''),
    ];
    for (const name of candidates) {
      const agent = name && this.agents.get(name);
      if (agent) return agent;
    }
    const agent = this.agents.get(this.defaultName);
    if (!agent) throw new Error(`default agent "${this.defaultName}" is not registered`);
    return agent;
  }

  private claim(routes: Map<string, string>, key: string, agent: string, what: string): void {
    const other = routes.get(key);
    if (other !== undefined && other !== agent) throw new Error(`${what} is routed to both "${other}" and "${agent}"`);
    routes.set(key, agent);
  }
}

function canonicalNumber(number: string): string | undefined {
  try {
    return normalizePhoneNumber(number);
  } catch (err) {
    if (err instanceof PhoneNumberError) return undefined;
    throw err;
  }
}
