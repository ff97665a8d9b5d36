import type { Agent } from './types.js';

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

  constructor(private defaultName: string) {}

  add(agent: Agent): this {
    this.agents.set(agent.name, agent);
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

  /** The requested agent when we have it, else the default; an unknown name never fails a call. */
  select(hints: AgentHints): Agent {
    const wanted = hints.requested ?? hints.customParameters.agent;
    const agent = (wanted && this.agents.get(wanted)) || this.agents.get(this.defaultName);
    if (!agent) throw new Error(`default agent "${this.defaultName}" is not registered`);
    return agent;
  }
}
