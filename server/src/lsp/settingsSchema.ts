import { z } from 'zod';

/**
 * The `flaskSentinel.*` editor settings: the single source of truth for their names, types and defaults.
 * Each key is validated on its own, so one bad value falls back to that key's default and the rest still apply.
 */
const RuleSelector = z
  .string()
  .regex(/^(ALL|FS\d{0,3})$/i, 'a rule id such as "FS201", a prefix such as "FS2", or "ALL"')
  .transform((s) => s.toUpperCase());

export const SETTINGS_SECTION = 'flaskSentinel';

export const SettingsSchema = z.object({
  /** Turns the linter on or off for a folder or file. */
  enable: z.boolean().default(true),
  /** Rule ids or prefixes to run; empty = every rule (or the pyproject.toml selection). */
  select: z.array(RuleSelector).default([]),
  /** Rule ids or prefixes to skip, added to pyproject.toml's `ignore`. */
  ignore: z.array(RuleSelector).default([]),
  /** Per-rule severity overrides, on top of pyproject.toml's `severity`. */
  severity: z
    .record(z.string().regex(/^FS\d{3}$/, 'a rule id such as "FS201"'), z.enum(['error', 'warning', 'info']))
    .default({}),
  /** Extra decorator names that count as authentication. */
  authDecorators: z
    .array(z.string().regex(/^[A-Za-z_][\w.]*$/, 'a decorator name such as "admin_required"'))
    .default([]),
  /** Globs (relative to the workspace folder) of files not to analyse. */
  exclude: z.array(z.string().min(1)).default([]),
  /** Files larger than this are not analysed (0 = use pyproject.toml's or the default, 1024). */
  maxFileSizeKb: z.number().int().min(0).max(1_048_576).default(0),
  /** Analyse as you type, or only when the file is saved. */
  run: z.enum(['onType', 'onSave']).default('onType'),
  /** Also report the findings of files that are not open (the Problems view shows the whole workspace). */
  workspaceDiagnostics: z.boolean().default(true),
});

export type Settings = z.infer<typeof SettingsSchema>;
export type SettingsKey = keyof Settings;
export const SETTINGS_KEYS = Object.keys(SettingsSchema.shape) as SettingsKey[];
export const DEFAULT_SETTINGS: Settings = SettingsSchema.parse({});
export const DEFAULT_MAX_FILE_SIZE_KB = 1024;
