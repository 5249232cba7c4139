import * as z from 'zod';
import type { Usage } from './protocol';

/**
 * ESTIMATED prices in US dollars per million tokens, used only to show an approximate cost next to each
 * answer. They are not read from the API and may be out of date; users can override or add models with a
 * setting (the lead's `flaskSentinel.chat.prices`, parsed with `parsePriceOverrides`). Cache writes are
 * priced at the 5-minute TTL rate, which is what `cache_control: {type: 'ephemeral'}` uses.
 */
export const PriceSchema = z.object({
  input: z.number().min(0).max(10_000),
  output: z.number().min(0).max(10_000),
  cacheWrite: z.number().min(0).max(10_000),
  cacheRead: z.number().min(0).max(10_000),
});
export type ModelPrice = z.infer<typeof PriceSchema>;
export type PriceTable = Readonly<Record<string, ModelPrice>>;

const OPUS: ModelPrice = { input: 5, output: 25, cacheWrite: 6.25, cacheRead: 0.5 };
const SONNET: ModelPrice = { input: 3, output: 15, cacheWrite: 3.75, cacheRead: 0.3 };
const HAIKU: ModelPrice = { input: 1, output: 5, cacheWrite: 1.25, cacheRead: 0.1 };

/** Defaults by model id; unknown Claude ids fall back to their family (see `priceFor`). */
export const DEFAULT_PRICES: PriceTable = {
  'claude-opus-5-5': OPUS,
  'claude-sonnet-5-5': SONNET,
  'claude-haiku-5-5': HAIKU,
  'claude-opus-5': OPUS,
  'claude-sonnet-5': SONNET,
  'claude-opus-4-8': OPUS,
  'claude-opus-4-7': OPUS,
  'claude-opus-4-6': OPUS,
  'claude-opus-4-5': OPUS,
  'claude-sonnet-4-6': SONNET,
  'claude-sonnet-4-5': SONNET,
  'claude-haiku-4-5': HAIKU,
};

/** Validates the user's overrides (`{ "model-id": { input, output, cacheWrite, cacheRead } }`). */
export function parsePriceOverrides(value: unknown): { table: Record<string, ModelPrice>; errors: string[] } {
  const table: Record<string, ModelPrice> = {};
  const errors: string[] = [];
  if (value === undefined || value === null) return { table, errors };
  if (typeof value !== 'object' || Array.isArray(value)) {
    return {
      table,
      errors: ['prices must be an object of model id → { input, output, cacheWrite, cacheRead }'],
    };
  }
  for (const [model, price] of Object.entries(value as Record<string, unknown>)) {
    const r = PriceSchema.safeParse(price);
    if (r.success) table[model] = r.data;
    else errors.push(`${model}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  }
  return { table, errors };
}

/** The price of a model: exact id, then the id without a date suffix, then its family. */
export function priceFor(model: string, overrides: PriceTable = {}): ModelPrice | undefined {
  const table = { ...DEFAULT_PRICES, ...overrides };
  const undated = model.replace(/-\d{8}$/, '');
  const exact = table[model] ?? table[undated];
  if (exact) return exact;
  if (!model.startsWith('claude-')) return undefined;
  if (model.includes('opus')) return OPUS;
  if (model.includes('sonnet')) return SONNET;
  if (model.includes('haiku')) return HAIKU;
  return undefined;
}

/** Estimated cost in US dollars, or undefined when the model has no price. */
export function estimateCostUsd(
  model: string,
  usage: Pick<Usage, 'inputTokens' | 'outputTokens' | 'cacheReadTokens' | 'cacheWriteTokens'>,
  overrides: PriceTable = {},
): number | undefined {
  const price = priceFor(model, overrides);
  if (!price) return undefined;
  const cost =
    (usage.inputTokens * price.input +
      usage.outputTokens * price.output +
      usage.cacheWriteTokens * price.cacheWrite +
      usage.cacheReadTokens * price.cacheRead) /
    1_000_000;
  return Math.round(cost * 1e6) / 1e6;
}

/** "$0.0123 (estimate)". */
export function formatCost(costUsd: number | undefined): string {
  if (costUsd === undefined) return 'cost unknown';
  if (costUsd < 0.0001) return '< $0.0001 (estimate)';
  return `$${costUsd < 1 ? costUsd.toFixed(4) : costUsd.toFixed(2)} (estimate)`;
}
