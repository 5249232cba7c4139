import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import type { PersonaInfo } from './protocol';
import { nodeChatFs, type ChatFs } from './fsAccess';

/**
 * Agent personas: the four built-in ones shipped in the extension's `agents/` folder and, in trusted
 * workspaces only, the workspace's own agent files in Claude Code format (`.claude/agents/*.md`) and GitHub
 * Copilot format (`.github/agents/*.agent.md`).
 *
 * Rules that keep a repository from taking over the panel:
 * - workspace files are read only when `trusted` is true;
 * - workspace personas have ids `workspace:<kind>/<file>`, which can never equal a built-in id, so a
 *   workspace agent named like a built-in one is listed beside it, never instead of it;
 * - an invalid file is listed with its error (and cannot be chosen) rather than silently dropped;
 * - files are size-capped and must not be links leaving their folder (see fsAccess.ts).
 */

export const DEFAULT_MODEL = 'claude-sonnet-5-5';

/** Model aliases of agent files → concrete model ids. `inherit` (and no model) → the configured model. */
export const MODEL_ALIASES: Readonly<Record<'sonnet' | 'opus' | 'haiku', string>> = {
  sonnet: 'claude-sonnet-5-5',
  opus: 'claude-opus-5-5',
  haiku: 'claude-haiku-5-5',
};

/** The built-in personas, in the order the picker shows them. */
export const BUILTIN_PERSONA_IDS = [
  'flask-security-architect',
  'backend-security-expert',
  'backend-python-expert',
  'backend-security-architect',
] as const;

export const WORKSPACE_ID_PREFIX = 'workspace:';

export type PersonaFormat = 'built-in' | 'claude' | 'copilot';

export interface Persona {
  id: string;
  name: string;
  /** Short description for the picker (examples stripped, capped). */
  description: string;
  color?: string;
  source: 'built-in' | 'workspace';
  format: PersonaFormat;
  /** The concrete model id to call. */
  model: string;
  /** The system-prompt body (Markdown), empty when `error` is set. */
  body: string;
  /** The file it came from (absolute). */
  file: string;
  /** Why the file could not be used; such a persona is listed but cannot be chosen. */
  error?: string;
}

const MODEL_ID = /^claude-[a-z0-9][a-z0-9.-]{0,80}$/;
const oneLine = (s: string): boolean => !/\p{Cc}/u.test(s);

const ClaudeAgentSchema = z.looseObject({
  name: z.string().trim().min(1).max(100).refine(oneLine, 'must be one line'),
  description: z.string().trim().min(1).max(20000),
  model: z
    .string()
    .trim()
    .refine((m) => ['sonnet', 'opus', 'haiku', 'inherit'].includes(m) || MODEL_ID.test(m), {
      message: 'must be sonnet, opus, haiku, inherit or a claude-… model id',
    })
    .optional(),
  color: z.string().trim().max(30).optional(),
  /** Claude Code tool list; the panel has no tools, so it is accepted and ignored. */
  tools: z.union([z.string(), z.array(z.string())]).optional(),
});

const CopilotAgentSchema = z.looseObject({
  description: z.string().trim().min(1).max(20000),
  name: z.string().trim().min(1).max(100).refine(oneLine, 'must be one line').optional(),
  model: z
    .union([z.string().trim().min(1).max(200), z.array(z.string().trim().min(1).max(200)).min(1)])
    .optional(),
  color: z.string().trim().max(30).optional(),
  tools: z.unknown().optional(),
});

/** Maps an agent file's `model` (alias, concrete id, Copilot display name or fallback list) to a model id. */
export function resolveModel(spec: string | readonly string[] | undefined, configuredModel: string): string {
  const list = typeof spec === 'string' ? [spec] : (spec ?? []);
  for (const entry of list) {
    const m = entry.trim().toLowerCase();
    if (m === 'inherit') return configuredModel;
    if (m === 'sonnet' || m === 'opus' || m === 'haiku') return MODEL_ALIASES[m];
    if (MODEL_ID.test(m)) return m;
    // Copilot files name models for humans ("Claude Sonnet 4.5 (copilot)"); map the family when it is Claude.
    if (/\bclaude\b/.test(m)) {
      if (m.includes('opus')) return MODEL_ALIASES.opus;
      if (m.includes('haiku')) return MODEL_ALIASES.haiku;
      if (m.includes('sonnet')) return MODEL_ALIASES.sonnet;
    }
  }
  return configuredModel;
}

/** Splits `---\nyaml\n---\nbody`. */
export function splitFrontMatter(text: string): { yaml: string; body: string } | undefined {
  const src = text.replace(/^\uFEFF/, '').replace(/\r\n?/g, '\n');
  const m = /^---[ \t]*\n([\s\S]*?)\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(src);
  if (!m) {
    // An empty front matter block: `---\n---\n`.
    const empty = /^---[ \t]*\n(?:---|\.\.\.)[ \t]*(?:\n|$)/.exec(src);
    if (empty) return { yaml: '', body: src.slice(empty[0].length) };
    return undefined;
  }
  return { yaml: m[1] ?? '', body: src.slice(m[0].length) };
}

function formatZodError(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => {
      const key = issue.path.map(String).join('.');
      if (issue.code === 'invalid_type' && /received undefined/.test(issue.message))
        return `\`${key}\` is missing`;
      return key ? `\`${key}\`: ${issue.message}` : issue.message;
    })
    .join('; ');
}

/** Picker text: `<example>` blocks and markup dropped, whitespace collapsed, capped. */
export function displayDescription(description: string): string {
  const text = description
    .replace(/<example>[\s\S]*?<\/example>/gi, ' ')
    .replace(/<commentary>[\s\S]*?<\/commentary>/gi, ' ')
    .replace(/\\n/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const cut = text.replace(/\s*(Examples?:)\s*$/i, '').trim();
  return cut.length > 500 ? `${cut.slice(0, 497).trimEnd()}…` : cut;
}

export interface ParsedAgentFile {
  name: string;
  description: string;
  color?: string;
  modelSpec?: string | string[];
  body: string;
}

/**
 * `key: value` lines, the value being the rest of the line (indented lines continue it; `- item` lines under
 * an empty value make a list). Quoted values and flow lists are parsed as YAML on their own. Undefined when
 * a line fits neither shape.
 */
export function lenientFrontMatter(yaml: string): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  let current: string | undefined;
  for (const line of yaml.split('\n')) {
    if (/^\s*(?:#.*)?$/.test(line)) continue;
    const m = /^([A-Za-z_][\w-]*):(?:[ \t]+(.*))?$/.exec(line);
    if (m?.[1]) {
      current = m[1];
      out[current] = (m[2] ?? '').trim();
      continue;
    }
    if (current === undefined || !/^\s/.test(line)) return undefined;
    const item = /^\s+-\s+(.*)$/.exec(line);
    const prev = out[current];
    if (item && (prev === '' || Array.isArray(prev))) {
      out[current] = [...(Array.isArray(prev) ? (prev as string[]) : []), (item[1] ?? '').trim()];
    } else if (typeof prev === 'string') {
      out[current] = `${prev} ${line.trim()}`.trim();
    } else {
      return undefined;
    }
  }
  for (const [key, value] of Object.entries(out)) {
    if (typeof value !== 'string') continue;
    if (value === '') {
      delete out[key];
      continue;
    }
    if (/^["'[]/.test(value)) {
      try {
        out[key] = parseYaml(value) as unknown;
      } catch {
        // keep the raw text
      }
    }
  }
  return out;
}

/** Parses and validates one agent file; `error` says what is wrong, in a sentence fit for the picker. */
export function parseAgentFile(
  text: string,
  format: PersonaFormat,
  fileName: string,
): { ok: true; value: ParsedAgentFile } | { ok: false; error: string } {
  const parts = splitFrontMatter(text);
  if (!parts) return { ok: false, error: 'no YAML front matter: the file must start with a line `---`' };
  let data: unknown;
  try {
    data = parseYaml(parts.yaml, { maxAliasCount: 20, prettyErrors: false }) ?? {};
  } catch (err) {
    // Agent files in the wild (Claude Code's own examples) put `: ` inside unquoted descriptions, which
    // strict YAML rejects; Claude Code reads them line by line, and so do we when strict parsing fails.
    data = lenientFrontMatter(parts.yaml);
    if (data === undefined) {
      const message = err instanceof Error ? err.message.split('\n')[0] : 'unreadable';
      return { ok: false, error: `the front matter is not valid YAML (${(message ?? '').slice(0, 300)})` };
    }
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return { ok: false, error: 'the front matter must be a YAML mapping of keys to values' };
  }
  const body = parts.body.trim();
  let value: ParsedAgentFile;
  if (format === 'copilot') {
    const r = CopilotAgentSchema.safeParse(data);
    if (!r.success) return { ok: false, error: formatZodError(r.error) };
    value = {
      name: r.data.name ?? fileName.replace(/\.agent\.md$/i, ''),
      description: r.data.description,
      color: r.data.color,
      modelSpec: r.data.model,
      body,
    };
  } else {
    const r = ClaudeAgentSchema.safeParse(data);
    if (!r.success) return { ok: false, error: formatZodError(r.error) };
    value = {
      name: r.data.name,
      description: r.data.description,
      color: r.data.color,
      modelSpec: r.data.model,
      body,
    };
  }
  if (!body) return { ok: false, error: 'the system prompt (the text after the front matter) is empty' };
  return { ok: true, value };
}

export interface LoadPersonasOptions {
  /** The extension's `agents/` folder (absolute). */
  builtinDir: string;
  /** Absolute paths of the workspace folders. */
  workspaceFolders: readonly string[];
  /** `vscode.workspace.isTrusted`: workspace agent files are read only when true. */
  trusted: boolean;
  /** The `model` setting, used for `inherit` and agent files without a model. */
  configuredModel?: string;
  fs?: ChatFs;
  /** Per-file cap (default 64 KB). */
  maxFileBytes?: number;
  /** Cap on workspace agent files read (default 50). */
  maxWorkspaceAgents?: number;
}

const WORKSPACE_SOURCES: readonly { dir: string[]; suffix: string; format: PersonaFormat; tag: string }[] = [
  { dir: ['.claude', 'agents'], suffix: '.md', format: 'claude', tag: 'claude' },
  { dir: ['.github', 'agents'], suffix: '.agent.md', format: 'copilot', tag: 'github' },
];

/** Loads the built-in personas and (when trusted) the workspace's. Never throws for a bad file. */
export async function loadPersonas(options: LoadPersonasOptions): Promise<Persona[]> {
  const fsx = options.fs ?? nodeChatFs;
  const configured = options.configuredModel?.trim() || DEFAULT_MODEL;
  const maxBytes = options.maxFileBytes ?? 64 * 1024;
  const personas: Persona[] = [];

  for (const id of BUILTIN_PERSONA_IDS) {
    const file = path.join(options.builtinDir, `${id}.md`);
    const read = await fsx.readText(file, options.builtinDir, maxBytes);
    const base = { id, source: 'built-in' as const, format: 'built-in' as const, file, model: configured };
    if ('text' in read) {
      const parsed = parseAgentFile(read.text, 'built-in', `${id}.md`);
      if (parsed.ok) {
        personas.push({
          ...base,
          name: parsed.value.name,
          description: displayDescription(parsed.value.description),
          color: parsed.value.color,
          model: resolveModel(parsed.value.modelSpec, configured),
          body: parsed.value.body,
        });
        continue;
      }
      personas.push({ ...base, name: id, description: '', body: '', error: parsed.error });
    } else {
      const error = 'error' in read ? read.error : 'the file is missing from the extension';
      personas.push({ ...base, name: id, description: '', body: '', error });
    }
  }

  if (!options.trusted) return personas;

  const builtinNames = new Set(personas.map((p) => p.name.toLowerCase()));
  const usedIds = new Set(personas.map((p) => p.id));
  const multiRoot = options.workspaceFolders.length > 1;
  let count = 0;
  for (const [folderIndex, folder] of options.workspaceFolders.entries()) {
    for (const source of WORKSPACE_SOURCES) {
      const dir = path.join(folder, ...source.dir);
      const names = (await fsx.readDir(dir))
        .filter((n) => n.toLowerCase().endsWith(source.suffix) && !n.startsWith('.'))
        .sort();
      for (const fileName of names) {
        if (count >= (options.maxWorkspaceAgents ?? 50)) break;
        count++;
        const file = path.join(dir, fileName);
        const stem = fileName.slice(0, fileName.length - source.suffix.length).slice(0, 60);
        let id = `${WORKSPACE_ID_PREFIX}${multiRoot ? `${folderIndex}/` : ''}${source.tag}/${stem}`;
        for (let n = 2; usedIds.has(id); n++) id = `${id.replace(/~\d+$/, '')}~${n}`;
        usedIds.add(id);
        const base = { id, source: 'workspace' as const, format: source.format, file, model: configured };
        const label = path.posix.join(...source.dir, fileName);
        const read = await fsx.readText(file, folder, maxBytes);
        if (!('text' in read)) {
          if ('missing' in read) continue;
          personas.push({ ...base, name: label, description: '', body: '', error: read.error });
          continue;
        }
        const parsed = parseAgentFile(read.text, source.format, fileName);
        if (!parsed.ok) {
          personas.push({ ...base, name: label, description: '', body: '', error: parsed.error });
          continue;
        }
        const name = builtinNames.has(parsed.value.name.toLowerCase())
          ? `${parsed.value.name} (workspace)`
          : parsed.value.name;
        personas.push({
          ...base,
          name,
          description: displayDescription(parsed.value.description),
          color: parsed.value.color,
          model: resolveModel(parsed.value.modelSpec, configured),
          body: parsed.value.body,
        });
      }
    }
  }
  return personas;
}

/** What the webview may know about a persona (no body, no path). */
export function toPersonaInfo(persona: Persona): PersonaInfo {
  return {
    id: persona.id,
    name: persona.name.slice(0, 100),
    description: persona.description.slice(0, 2000),
    ...(persona.color ? { color: persona.color.slice(0, 30) } : {}),
    source: persona.source,
    ...(persona.error ? { error: persona.error.slice(0, 2000) } : {}),
  };
}

export function isWorkspacePersonaId(id: string): boolean {
  return id.startsWith(WORKSPACE_ID_PREFIX);
}
