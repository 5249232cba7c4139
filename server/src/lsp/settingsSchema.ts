import { z } from 'zod';

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
  select: z
    .array(RuleSelector)
    .default([])
    .meta({
      markdownDescription:
        'Rule ids (`FS201`) or prefixes (`FS2`, `ALL`) to run. Empty runs every rule, or the `select` of `[tool.flask-sentinel]` in `pyproject.toml`.',
    }),
  ignore: z
    .array(RuleSelector)
    .default([])
    .meta({
      markdownDescription:
        'Rule ids or prefixes to skip, added to the `ignore` of `[tool.flask-sentinel]` in `pyproject.toml`.',
    }),
  severity: z
    .record(z.string().regex(/^FS\d{3}$/, 'a rule id such as "FS201"'), z.enum(['error', 'warning', 'info']))
    .default({})
    .meta({
      markdownDescription:
        'Severity per rule, e.g. `{ "FS501": "info" }`; wins over `pyproject.toml`.',
    }),
  authDecorators: z
    .array(z.string().regex(/^[A-Za-z_][\w.]*$/, 'a decorator name such as "admin_required"'))
    .default([])
    .meta({
      markdownDescription:
        'Extra decorator names that count as authentication for `FS501` (e.g. `admin_required`), besides the ones Flask Sentinel knows and the ones it finds in the workspace.',
    }),
  exclude: z
    .array(z.string().min(1))
    .default([])
    .meta({
      markdownDescription:
        'Glob patterns, relative to the workspace folder, of files not to analyse (e.g. `migrations/**`).',
    }),
  maxFileSizeKb: z
    .number()
    .int()
    .min(0)
    .max(1_048_576)
    .default(0)
    .meta({
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
  workspaceDiagnostics: z
    .boolean()
    .default(true)
    .meta({
      description:
        'Also report the findings of Python files that are not open, so the Problems view covers the whole workspace.',
    }),
  fixOnSave: z
    .boolean()
    .default(false)
    .meta({
      markdownDescription:
        'Apply every safe fix when a Python file is saved (the same as `"editor.codeActionsOnSave": { "source.fixAll.flaskSentinel": "explicit" }`). Unsafe fixes are never applied on save.',
    }),
});

export type Settings = z.infer<typeof SettingsSchema>;
export type SettingsKey = keyof Settings;
export const SETTINGS_KEYS = Object.keys(SettingsSchema.shape) as SettingsKey[];
export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({});
export const DEFAULT_MAX_FILE_SIZE_KB = 1024;

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
  return properties;
}
