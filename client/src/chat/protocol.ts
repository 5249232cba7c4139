import * as z from 'zod';

/**
 * Every message between the chat webview and the extension host, validated with zod in BOTH directions.
 * The webview is treated as untrusted (model output is rendered there; an XSS would let it post anything):
 * its verbs are few, carry ids rather than content, and the host looks everything up in its own state.
 */

const Id = z.string().min(1).max(100);

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;

/** A finding an agent returns in its machine-readable block (validated before it becomes a card). */
export const AgentFindingSchema = z.object({
  severity: z.enum(SEVERITIES),
  title: z.string().min(1).max(300),
  cwe: z
    .string()
    .regex(/^CWE-\d{1,5}$/)
    .optional(),
  /** 1-based line in the file the question was about. */
  line: z.number().int().min(1).optional(),
  endLine: z.number().int().min(1).optional(),
  explanation: z.string().max(5000),
  /** Replacement code for lines line..endLine, when the agent proposes one. */
  replacement: z.string().max(20000).optional(),
});
export type AgentFinding = z.infer<typeof AgentFindingSchema>;

export const PersonaInfoSchema = z.object({
  id: Id,
  name: z.string().max(100),
  description: z.string().max(2000),
  color: z.string().max(30).optional(),
  source: z.enum(['built-in', 'workspace']),
  /** For an agent file that failed validation: why (the persona cannot be chosen). */
  error: z.string().max(2000).optional(),
});
export type PersonaInfo = z.infer<typeof PersonaInfoSchema>;

export const ContextChipSchema = z.object({
  kind: z.enum(['file', 'range', 'finding', 'diff', 'note', 'redaction']),
  label: z.string().max(300),
  detail: z.string().max(2000).optional(),
});
export type ContextChip = z.infer<typeof ContextChipSchema>;

export const UsageSchema = z.object({
  inputTokens: z.number().int().min(0),
  outputTokens: z.number().int().min(0),
  cacheReadTokens: z.number().int().min(0),
  cacheWriteTokens: z.number().int().min(0),
  /** Estimated cost in US dollars from the price table, when the model is in it. */
  costUsd: z.number().min(0).optional(),
});
export type Usage = z.infer<typeof UsageSchema>;

export const TurnStatusSchema = z.enum(['streaming', 'done', 'stopped', 'error', 'refusal', 'max_tokens']);
export type TurnStatus = z.infer<typeof TurnStatusSchema>;

/** One question and its answer, as kept in the history and shown in the panel. */
export const TurnSchema = z.object({
  id: Id,
  /** Turns asked together ("review with all four") share a group id and are shown side by side. */
  group: Id.optional(),
  personaId: Id,
  personaName: z.string().max(100),
  prompt: z.string().max(20000),
  context: z.array(ContextChipSchema).max(50),
  /** The answer so far, as markdown (rendered sanitized in the webview). */
  answer: z.string().max(500000),
  status: TurnStatusSchema,
  /** Answered from the local analysis because no API key is set (or the user chose offline). */
  offline: z.boolean().optional(),
  error: z.object({ message: z.string().max(2000), retryable: z.boolean() }).optional(),
  usage: UsageSchema.optional(),
  findings: z.array(AgentFindingSchema).max(100).optional(),
  model: z.string().max(100).optional(),
  at: z.number().int(),
});
export type Turn = z.infer<typeof TurnSchema>;

/** Host → webview. */
export const ToWebviewSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('init'),
    personas: z.array(PersonaInfoSchema).max(100),
    history: z.array(TurnSchema).max(500),
    hasApiKey: z.boolean(),
    trusted: z.boolean(),
    model: z.string().max(100),
    selectedPersonaId: Id.optional(),
  }),
  /** What the next question will carry (file, range, findings in range), shown as chips before sending. */
  z.object({
    type: z.literal('context'),
    chips: z.array(ContextChipSchema).max(50),
    prompt: z.string().max(20000).optional(),
    /** Names this context. The host sends it again when a page (re)loads, since a message posted while the
     * page was still loading can be lost; the page fills in `prompt` only once per id, so a reload does not
     * overwrite a draft the user has edited since. */
    id: Id.optional(),
  }),
  z.object({ type: z.literal('turnStart'), turn: TurnSchema }),
  z.object({ type: z.literal('delta'), turnId: Id, text: z.string().max(100000) }),
  z.object({ type: z.literal('turnEnd'), turn: TurnSchema }),
  z.object({ type: z.literal('history'), history: z.array(TurnSchema).max(500) }),
  z.object({ type: z.literal('personas'), personas: z.array(PersonaInfoSchema).max(100) }),
  z.object({ type: z.literal('apiKey'), hasApiKey: z.boolean() }),
  z.object({
    type: z.literal('notice'),
    level: z.enum(['info', 'warning', 'error']),
    message: z.string().max(2000),
  }),
]);
export type ToWebview = z.infer<typeof ToWebviewSchema>;

/** Webview → host. Ids only: the host never takes code or paths from the webview. */
export const FromWebviewSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  z.object({
    type: z.literal('send'),
    personaId: z.union([Id, z.literal('*all')]),
    prompt: z.string().min(1).max(20000),
  }),
  z.object({ type: z.literal('stop'), turnId: Id }),
  z.object({ type: z.literal('retry'), turnId: Id }),
  z.object({ type: z.literal('copy'), turnId: Id }),
  z.object({ type: z.literal('selectPersona'), personaId: Id }),
  /** Code block `index` of a turn's answer, or finding `index` of its findings. */
  z.object({
    type: z.literal('showDiff'),
    turnId: Id,
    target: z.enum(['codeBlock', 'finding']),
    index: z.number().int().min(0).max(1000),
  }),
  z.object({
    type: z.literal('applyFix'),
    turnId: Id,
    target: z.enum(['codeBlock', 'finding']),
    index: z.number().int().min(0).max(1000),
  }),
  /** Code block `index` of a turn's answer: inserted at the cursor of the last active editor / copied. */
  z.object({ type: z.literal('insertAtCursor'), turnId: Id, index: z.number().int().min(0).max(1000) }),
  z.object({ type: z.literal('copyBlock'), turnId: Id, index: z.number().int().min(0).max(1000) }),
  z.object({ type: z.literal('reveal'), turnId: Id, index: z.number().int().min(0).max(1000) }),
  z.object({ type: z.literal('openLink'), url: z.string().url().max(2000) }),
  z.object({ type: z.literal('exportHistory') }),
  z.object({ type: z.literal('clearHistory') }),
  z.object({ type: z.literal('setApiKey') }),
  z.object({ type: z.literal('clearContext') }),
]);
export type FromWebview = z.infer<typeof FromWebviewSchema>;
