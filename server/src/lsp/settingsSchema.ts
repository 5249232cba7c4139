import * as z from 'zod';

/**
 * The `flaskSentinel.*` editor settings: the single source of truth for their names, types, defaults and
 * descriptions. The server validates with it; `npm run gen:settings` writes the extension's
 * `contributes.configuration` from it (a test keeps the two equal). Each key is validated on its own, so one
 * bad value falls back to that key's default and the rest still apply.
 */
const RuleSelector = z
  .string()
  .regex(/^(ALL|all|[Ff][Ss]\d{0,3})$/, 'a rule id such as "FS201", a prefix such as "FS2", or "ALL"')
  .transform((s) => s.toUpperCase());

export const SETTINGS_SECTION = 'flaskSentinel';

export const SettingsSchema = z.object({
  enable: z
    .boolean()
    .default(true)
    .meta({ description: 'Analyse Python files in this folder (turn off to silence Flask Sentinel here).' }),
  select: z.array(RuleSelector).default([]).meta({
    markdownDescription:
      'Rule ids (`FS201`) or prefixes (`FS2`, `ALL`) to run. Empty runs every rule, or the `select` of `[tool.flask-sentinel]` in `pyproject.toml`.',
  }),
  ignore: z.array(RuleSelector).default([]).meta({
    markdownDescription:
      'Rule ids or prefixes to skip, added to the `ignore` of `[tool.flask-sentinel]` in `pyproject.toml`.',
  }),
  severity: z
    .record(z.string().regex(/^FS\d{3}$/, 'a rule id such as "FS201"'), z.enum(['error', 'warning', 'info']))
    .default({})
    .meta({
      markdownDescription: 'Severity per rule, e.g. `{ "FS501": "info" }`; wins over `pyproject.toml`.',
    }),
  authDecorators: z
    .array(z.string().regex(/^[A-Za-z_][\w.]*$/, 'a decorator name such as "admin_required"'))
    .default([])
    .meta({
      markdownDescription:
        'Extra decorator names that count as authentication for `FS501` (e.g. `admin_required`), besides the ones Flask Sentinel knows and the ones it finds in the workspace.',
    }),
  exclude: z.array(z.string().min(1)).default([]).meta({
    markdownDescription:
      'Glob patterns, relative to the workspace folder, of files not to analyse (e.g. `migrations/**`).',
  }),
  maxFileSizeKb: z.number().int().min(0).max(1_048_576).default(0).meta({
    markdownDescription:
      'Files larger than this many KiB are not analysed (a note says so). `0` uses `max-file-size-kb` from `pyproject.toml`, or 1024.',
  }),
  run: z
    .enum(['onType', 'onSave'])
    .default('onType')
    .meta({
      description: 'Analyse as you type, or only when a file is saved.',
      enumDescriptions: ['Findings follow every edit.', 'Findings are refreshed when the file is saved.'],
    }),
  workspaceDiagnostics: z.boolean().default(true).meta({
    description:
      'Also report the findings of Python files that are not open, so the Problems view covers the whole workspace.',
  }),
  fixOnSave: z.boolean().default(false).meta({
    markdownDescription:
      'Apply every safe fix when a Python file is saved (the same as `"editor.codeActionsOnSave": { "source.fixAll.flaskSentinel": "explicit" }`). Unsafe fixes are never applied on save.',
  }),
  changedLinesOnly: z.boolean().default(false).meta({
    markdownDescription:
      'Only show findings on lines added or changed against `#flaskSentinel.changedLinesBase#` (the editor text, saved or not, compared with the file in that git revision; a file the revision does not have counts as all changed). Outside a git repository every finding is shown.',
  }),
  changedLinesBase: z
    .string()
    .trim()
    .min(1, 'a git revision such as "HEAD", "main" or "origin/main"')
    .regex(/^[^-\s]\S*$/, 'a git revision such as "HEAD", "main" or "origin/main"')
    .default('HEAD')
    .meta({
      markdownDescription:
        'The git revision `#flaskSentinel.changedLinesOnly#` compares with: `HEAD` (uncommitted changes), a branch such as `main` or `origin/main`, or `main...` for the merge base of `main` and `HEAD` (what a pull request would change).',
    }),
});

export type Settings = z.infer<typeof SettingsSchema>;
export type SettingsKey = keyof Settings;
export const SETTINGS_KEYS = Object.keys(SettingsSchema.shape) as SettingsKey[];
export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({});
export const DEFAULT_MAX_FILE_SIZE_KB = 1024;

/**
 * `flaskSentinel.chat.*`: read by the extension host only (the server never sees them). Scopes matter for
 * security: `baseURL` and `proxy` are `application` scope, so a workspace's `.vscode/settings.json` cannot send
 * the API key (or the traffic) to another host; the others are `window` scope and ignored from untrusted
 * workspaces (`restrictedConfigurations`).
 */
export const ChatSettingsSchema = z.object({
  model: z.string().min(1).max(100).default('claude-sonnet-5-5').meta({
    markdownDescription:
      'Model the agents use unless an agent file names its own (`sonnet`, `opus`, `haiku`).',
  }),
  baseURL: z
    .string()
    .url()
    .regex(/^https?:\/\//, 'an http(s) URL')
    .default('https://api.anthropic.com')
    .meta({
      markdownDescription:
        'Anthropic API endpoint (a corporate gateway, for example). User settings only: a workspace cannot redirect your key.',
    }),
  maxTokens: z
    .number()
    .int()
    .min(256)
    .max(64000)
    .default(4096)
    .meta({ description: 'Longest answer, in tokens.' }),
  maxRetries: z.number().int().min(0).max(5).default(2).meta({
    description: 'Retries on rate limits, overload and connection errors before the answer starts.',
  }),
  timeoutSeconds: z
    .number()
    .int()
    .min(10)
    .max(3600)
    .default(300)
    .meta({ description: 'Give up on a request after this many seconds.' }),
  proxy: z
    .string()
    .trim()
    .max(2048)
    .regex(/^(|direct|https?:\/\/\S+)$/, 'an http(s) proxy URL, "direct", or empty')
    .refine((v) => !v.startsWith('http') || isUrl(v), 'an http(s) proxy URL, "direct", or empty')
    .default('')
    .meta({
      markdownDescription:
        "Proxy for the agents' calls to the Anthropic API: an `http://` or `https://` URL (`http://user:password@proxy.example:3128` for a proxy that needs a login; the credentials are sent only to the proxy and never logged), `direct` for no proxy, or empty to follow VS Code's `http.proxy`, then the `HTTPS_PROXY`/`HTTP_PROXY` environment variables, skipping them when `NO_PROXY` or `http.noProxy` match the API host. PAC files (proxy auto-config) and SOCKS proxies are not supported. TLS to the API is always verified (`http.proxyStrictSSL` is not applied). User settings only: a workspace cannot redirect your traffic.",
    }),
});
export type ChatSettings = z.infer<typeof ChatSettingsSchema>;
export const DEFAULT_CHAT_SETTINGS: ChatSettings = ChatSettingsSchema.parse({});
const CHAT_SCOPES: Record<keyof ChatSettings, 'application' | 'window'> = {
  model: 'window',
  baseURL: 'application',
  maxTokens: 'window',
  maxRetries: 'window',
  timeoutSeconds: 'window',
  proxy: 'application',
};

function isUrl(value: string): boolean {
  try {
    return !!new URL(value).hostname;
  } catch {
    return false;
  }
}

/** Validates the chat settings key by key: an invalid value falls back to its default and is named. */
export function parseChatSettings(raw: Record<string, unknown>): {
  settings: ChatSettings;
  problems: string[];
} {
  const settings: Record<string, unknown> = { ...DEFAULT_CHAT_SETTINGS };
  const problems: string[] = [];
  for (const key of Object.keys(ChatSettingsSchema.shape) as (keyof ChatSettings)[]) {
    if (raw[key] === undefined || raw[key] === null) continue;
    const result = ChatSettingsSchema.shape[key].safeParse(raw[key]);
    if (result.success) settings[key] = result.data;
    else
      problems.push(`${SETTINGS_SECTION}.chat.${key}: ${result.error.issues[0]?.message ?? 'invalid value'}`);
  }
  return { settings: settings as ChatSettings, problems };
}

/** VS Code `contributes.configuration.properties` for these settings, generated from the schema. */
export function vscodeConfigurationProperties(): Record<string, Record<string, unknown>> {
  const json = z.toJSONSchema(SettingsSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, Record<string, unknown>>;
  };
  const properties: Record<string, Record<string, unknown>> = {};
  for (const key of SETTINGS_KEYS) {
    const property = { ...(json.properties[key] ?? {}) };
    delete property.$schema;
    // A folder can configure every setting differently (multi-root workspaces).
    properties[`${SETTINGS_SECTION}.${key}`] = {
      ...property,
      default: DEFAULT_SETTINGS[key],
      scope: 'resource',
    };
  }
  const chat = z.toJSONSchema(ChatSettingsSchema, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, Record<string, unknown>>;
  };
  for (const key of Object.keys(ChatSettingsSchema.shape) as (keyof ChatSettings)[]) {
    properties[`${SETTINGS_SECTION}.chat.${key}`] = {
      ...(chat.properties[key] ?? {}),
      default: DEFAULT_CHAT_SETTINGS[key],
      scope: CHAT_SCOPES[key],
    };
  }
  return properties;
}
