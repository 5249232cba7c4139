import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import * as z from 'zod';

/**
 * `[tool.flask-sentinel]` in `pyproject.toml`. Validated strictly: an unknown key or a bad value stops the
 * scan with a message naming the file, the key and what is allowed, instead of being silently ignored.
 *
 * The schema is built for the first section to validate: most scans have none, and building it cost each
 * CLI thread (the scan's worker threads load the CLI's bundle too) about 4 ms before its first file.
 */
function buildSchema() {
  const RuleSelector = z
    .string()
    .regex(/^(ALL|FS\d{0,3})$/i, 'a rule id such as "FS201", a prefix such as "FS2", or "ALL"')
    .transform((s) => s.toUpperCase());
  const RuleId = z.string().regex(/^FS\d{3}$/, 'a rule id such as "FS201"');
  return z
    .object({
      select: z.array(RuleSelector).optional(),
      ignore: z.array(RuleSelector).optional(),
      severity: z.record(RuleId, z.enum(['error', 'warning', 'info'])).optional(),
      'auth-decorators': z
        .array(z.string().regex(/^[A-Za-z_][\w.]*$/, 'a decorator name such as "admin_required"'))
        .optional(),
      exclude: z.array(z.string().min(1)).optional(),
      'max-file-size-kb': z.number().int().min(1).max(1_048_576).optional(),
    })
    .strict();
}

let projectConfigSchema: ReturnType<typeof buildSchema> | undefined;

export type ProjectConfig = z.infer<ReturnType<typeof buildSchema>>;

export class ConfigError extends Error {}

/** Reads `[tool.flask-sentinel]` from a pyproject.toml; a missing file or section is an empty config. */
export function loadProjectConfig(file: string): ProjectConfig {
  if (!fs.existsSync(file)) return {};
  let document: Record<string, unknown>;
  try {
    document = parseToml(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(
      `${file}: not valid TOML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
    );
  }
  const tool = document.tool as Record<string, unknown> | undefined;
  const section = tool?.['flask-sentinel'];
  if (section === undefined) return {};
  const schema = (projectConfigSchema ??= buildSchema());
  const result = schema.safeParse(section);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const key = ['tool', 'flask-sentinel', ...issue.path.map(String)].join('.');
    if (issue.code === 'unrecognized_keys') {
      const allowed = Object.keys(schema.shape).join(', ');
      return `unknown key ${issue.keys.map((k) => `"${k}"`).join(', ')} in [tool.flask-sentinel] (allowed: ${allowed})`;
    }
    return `${key}: ${issue.message}`;
  });
  throw new ConfigError(`${file}: invalid configuration:\n  ${problems.join('\n  ')}`);
}

/** The nearest pyproject.toml at or above `start` (a file or folder), or undefined. */
export function findPyproject(start: string): string | undefined {
  let dir = path.resolve(start);
  if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) dir = path.dirname(dir);
  for (;;) {
    const candidate = path.join(dir, 'pyproject.toml');
    if (fs.existsSync(candidate)) return candidate;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
