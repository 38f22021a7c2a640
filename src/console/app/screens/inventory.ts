/** The inventory reads' answers (GET /v1/inventory…, docs/inventory.md), as the console shows them. */
export interface Figures {
  requests: number;
  errors: number;
  consumers: number;
}

export interface InventoryRoute {
  name: string;
  methods: string[];
  host: string | null;
  path: string;
  upstream: string;
  contract: string | null;
  operations: string[];
  wholeContract: boolean;
  version: string | null;
  owner: string | null;
  tags: string[];
  authentication: string[];
  authenticationRequirement: 'required' | 'optional' | 'none';
  public: boolean;
  scopes: string[];
  rateLimits: Array<{ name: string; limit: number; windowSeconds: number }>;
  lifecycle: { state: 'active' | 'announced' | 'deprecated' | 'sunset'; deprecated: string | null; sunset: string | null; successor: string | null };
  /** From the store's route counters (flushed each minute by every node). */
  traffic: { last24h: Figures; last30d: Figures } | null;
}

/** A share as a percentage with one decimal ("0.0 %" when there were no requests). */
export function percent(part: number, whole: number): string {
  return `${whole === 0 ? '0.0' : ((part / whole) * 100).toFixed(1)} %`;
}
