import * as path from 'node:path';
import { MessageType, ShowMessageNotification } from 'vscode-languageserver';
import type { Connection } from 'vscode-languageserver';
import { ConfigError } from '../config/projectConfig';
import type { ProjectConfig } from '../config/projectConfig';
import type { AnalyzeOptions } from '../engine/analyze';
import type { ServerHost } from './host';
import {
  DEFAULT_MAX_FILE_SIZE_KB,
  DEFAULT_SETTINGS,
  SETTINGS_KEYS,
  SETTINGS_SECTION,
  SettingsSchema,
} from './settingsSchema';
import type { Settings } from './settingsSchema';

export interface SettingsProblem {
  key: string;
  message: string;
}

/** Validates each key on its own: an invalid value is reported and replaced by that key's default. */
export function parseSettings(raw: unknown): { settings: Settings; problems: SettingsProblem[] } {
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  const problems: SettingsProblem[] = [];
  if (raw === null || raw === undefined) return { settings: settings as Settings, problems };
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    return {
      settings: settings as Settings,
      problems: [{ key: SETTINGS_SECTION, message: 'expected an object' }],
    };
  }
  const values = raw as Record<string, unknown>;
  for (const key of SETTINGS_KEYS) {
    if (values[key] === undefined || values[key] === null) continue;
    const result = SettingsSchema.shape[key].safeParse(values[key]);
    if (result.success) settings[key] = result.data;
    else {
      const issue = result.error.issues[0];
      const where = issue && issue.path.length > 0 ? `[${issue.path.map(String).join('.')}]` : '';
      problems.push({
        key: `${SETTINGS_SECTION}.${key}${where}`,
        message: issue?.message ?? 'invalid value',
      });
    }
  }
  return { settings: settings as Settings, problems };
}

/** What one document is analysed with: editor settings on top of the project's pyproject.toml. */
export interface EffectiveSettings {
  enable: boolean;
  run: Settings['run'];
  workspaceDiagnostics: boolean;
  analyze: AnalyzeOptions;
  exclude: string[];
  maxFileSizeKb: number;
  /** The folder exclude globs are relative to. */
  root: string | undefined;
  /** Only findings on lines changed against `changedLinesBase` (a git revision). */
  changedLinesOnly: boolean;
  changedLinesBase: string;
}

/**
 * The project file is the baseline; editor settings add to it: lists are merged, editor severities win, an
 * editor `select` replaces the project's, and a non-zero editor `maxFileSizeKb` replaces the project's.
 */
export function mergeSettings(
  editor: Settings,
  project: ProjectConfig,
  root: string | undefined,
): EffectiveSettings {
  const union = (a: readonly string[] | undefined, b: readonly string[]) => [
    ...new Set([...(a ?? []), ...b]),
  ];
  const select = editor.select.length > 0 ? editor.select : (project.select ?? []);
  const analyze: AnalyzeOptions = {
    ...(select.length > 0 ? { select } : {}),
    ignore: union(project.ignore, editor.ignore),
    severity: { ...(project.severity ?? {}), ...editor.severity },
    authDecorators: union(project['auth-decorators'], editor.authDecorators),
  };
  return {
    enable: editor.enable,
    run: editor.run,
    workspaceDiagnostics: editor.workspaceDiagnostics,
    analyze,
    exclude: union(project.exclude, editor.exclude),
    maxFileSizeKb: editor.maxFileSizeKb || project['max-file-size-kb'] || DEFAULT_MAX_FILE_SIZE_KB,
    root,
    changedLinesOnly: editor.changedLinesOnly,
    changedLinesBase: editor.changedLinesBase,
  };
}

interface CachedProject {
  mtimeMs: number;
  config: ProjectConfig;
}

/** Where a folder's pyproject.toml was found, and its modification time then. */
interface ProjectLookup {
  pyproject: string | undefined;
  mtimeMs: number | undefined;
  checkedAt: number;
}

/**
 * How long a folder's pyproject.toml lookup is trusted. Settings are read twice per keystroke, and each
 * lookup walks up the folders with a `stat` per level (0.1 ms a key on a 5k-line file, profiled). Clients
 * that watch files tell the server at once (`projectChanged`); for the others an edited or new
 * pyproject.toml is seen within this time.
 */
export const PROJECT_LOOKUP_TTL_MS = 1000;

/** Fetches `flaskSentinel` settings per resource, validates them, reports each problem once. */
export class SettingsManager {
  private readonly perUri = new Map<string, Promise<Settings>>();
  private readonly projects = new Map<string, CachedProject>();
  private readonly lookups = new Map<string, ProjectLookup>();
  private readonly reported = new Set<string>();
  private globalRaw: unknown = undefined;
  /** Bumped whenever settings may have changed; cached analyses are keyed on it. */
  generation = 0;

  constructor(
    private readonly connection: Connection,
    private readonly canPull: boolean,
    private readonly workspaceRoots: () => string[],
    private readonly host: Pick<ServerHost, 'pathOf' | 'projectFiles'>,
  ) {}

  /** `workspace/didChangeConfiguration`: drop cached values (and keep pushed ones for clients that cannot be asked). */
  changed(settings: unknown): void {
    const section = (settings as Record<string, unknown> | null | undefined)?.[SETTINGS_SECTION];
    if (section !== undefined) this.globalRaw = section;
    this.perUri.clear();
    this.projects.clear();
    this.lookups.clear();
    this.generation++;
  }

  projectChanged(): void {
    this.projects.clear();
    this.lookups.clear();
    this.generation++;
  }

  forgetDocument(uri: string): void {
    this.perUri.delete(uri);
  }

  async effective(uri: string): Promise<EffectiveSettings> {
    const editor = await this.editorSettings(uri);
    const file = this.host.pathOf(uri);
    const root = file ? this.workspaceRoots().find((r) => isInside(r, file)) : undefined;
    const project = file ? this.projectConfig(file) : {};
    return mergeSettings(editor, project, root);
  }

  private editorSettings(uri: string): Promise<Settings> {
    let pending = this.perUri.get(uri);
    if (!pending) {
      pending = this.fetch(uri);
      this.perUri.set(uri, pending);
    }
    return pending;
  }

  private async fetch(uri: string): Promise<Settings> {
    let raw: unknown = this.globalRaw;
    if (this.canPull) {
      try {
        raw = (await this.connection.workspace.getConfiguration({
          scopeUri: uri,
          section: SETTINGS_SECTION,
        })) as unknown;
      } catch (error) {
        this.connection.console.error(`Flask Sentinel: could not read settings: ${String(error)}`);
      }
    }
    const { settings, problems } = parseSettings(raw);
    for (const problem of problems) {
      const key = `${problem.key}:${problem.message}:${JSON.stringify(raw)}`;
      if (this.reported.has(key)) continue;
      this.reported.add(key);
      this.warn(
        `Flask Sentinel: invalid setting ${problem.key}: ${problem.message}. Using the default for ${problem.key.split('[')[0]}.`,
      );
    }
    return settings;
  }

  /** A `window/showMessage` notification: it needs no answer, so nothing waits on the user. */
  private warn(message: string): void {
    void this.connection.sendNotification(ShowMessageNotification.type, {
      type: MessageType.Warning,
      message,
    });
  }

  /** The file's `pyproject.toml` configuration; none where the host has no project files (a web worker). */
  private projectConfig(file: string): ProjectConfig {
    const files = this.host.projectFiles;
    if (!files) return {};
    const folder = path.dirname(file);
    const now = Date.now();
    let lookup = this.lookups.get(folder);
    if (!lookup || now - lookup.checkedAt >= PROJECT_LOOKUP_TTL_MS || now < lookup.checkedAt) {
      const pyproject = files.find(file);
      const fresh = { pyproject, mtimeMs: pyproject ? files.mtimeMs(pyproject) : undefined, checkedAt: now };
      // Edited, created or removed behind the client's back: analyses kept under the old configuration
      // (a document's per-statement results among them) must not be reused.
      if (lookup && (lookup.pyproject !== fresh.pyproject || lookup.mtimeMs !== fresh.mtimeMs)) {
        this.generation++;
      }
      lookup = fresh;
      this.lookups.set(folder, lookup);
    }
    const { pyproject, mtimeMs } = lookup;
    if (!pyproject || mtimeMs === undefined) return {};
    const cached = this.projects.get(pyproject);
    if (cached && cached.mtimeMs === mtimeMs) return cached.config;
    let config: ProjectConfig = {};
    try {
      config = files.load(pyproject);
    } catch (error) {
      const message = error instanceof ConfigError ? error.message : String(error);
      const key = `${pyproject}:${mtimeMs}`;
      if (!this.reported.has(key)) {
        this.reported.add(key);
        this.warn(`Flask Sentinel: ${message} (using the defaults)`);
      }
    }
    this.projects.set(pyproject, { mtimeMs, config });
    return config;
  }
}

export function isInside(folder: string, file: string): boolean {
  const relative = path.relative(folder, file);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}
