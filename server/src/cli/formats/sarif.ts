import type * as Sarif from 'sarif';
import { OWASP_2021 } from '../../rules/rule';
import type { Rule } from '../../rules/rule';
import { renderRuleDoc, ruleDocUrl } from '../../rules/docs';
import type { Severity } from '../../engine/types';
import type { ScanResult } from '../scan';

const LEVEL: Record<Severity, NonNullable<Sarif.Result['level']>> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

/** GitHub code scanning ranks alerts by `security-severity` (CVSS-like, 0–10). */
const SECURITY_SEVERITY: Record<Severity, string> = { error: '8.0', warning: '5.0', info: '2.0' };

/**
 * The `partialFingerprints` key of every result: the finding's stable fingerprint (rule, path, the line's
 * text with whitespace folded, occurrence). Never change it: code scanning and baselines match on it.
 */
export const SARIF_FINGERPRINT_KEY = 'flaskSentinelFindingHash/v1';

const pascal = (kebab: string) => kebab.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** SARIF 2.1.0, with full rule metadata and stable partial fingerprints; columns in UTF-16 code units. */
export function formatSarif(result: ScanResult, rules: readonly Rule[], toolVersion: string): string {
  const descriptors: Sarif.ReportingDescriptor[] = rules.map((rule) => {
    const { meta } = rule;
    return {
      id: meta.id,
      name: pascal(meta.name),
      shortDescription: { text: meta.title },
      fullDescription: { text: meta.docs.summary },
      helpUri: ruleDocUrl(meta),
      help: { text: `${meta.docs.summary}\n\n${meta.docs.why}`, markdown: renderRuleDoc(meta) },
      defaultConfiguration: { level: LEVEL[meta.severity] },
      properties: {
        tags: ['security', ...meta.cwe, ...meta.owasp.map((c) => `OWASP-${c}`), 'flask'],
        precision: meta.confidence === 'low' ? 'low' : meta.confidence,
        'security-severity': SECURITY_SEVERITY[meta.severity],
        cwe: meta.cwe,
        owasp: meta.owasp.map((c) => `${c} ${OWASP_2021[c]}`),
      },
    };
  });
  const index = new Map(rules.map((r, i) => [r.meta.id, i]));
  const region = (r: {
    start: { line: number; character: number };
    end: { line: number; character: number };
  }): Sarif.Region => ({
    startLine: r.start.line + 1,
    startColumn: r.start.character + 1,
    endLine: r.end.line + 1,
    endColumn: r.end.character + 1,
  });
  const results: Sarif.Result[] = result.files.flatMap((file) =>
    file.findings.map((finding, i) => {
      const artifactLocation: Sarif.ArtifactLocation = { uri: encodeURI(file.path), uriBaseId: '%SRCROOT%' };
      const sarifResult: Sarif.Result = {
        ruleId: finding.ruleId,
        ruleIndex: index.get(finding.ruleId) ?? -1,
        level: LEVEL[finding.severity],
        message: { text: finding.message },
        locations: [{ physicalLocation: { artifactLocation, region: region(finding.range) } }],
        partialFingerprints: { [SARIF_FINGERPRINT_KEY]: file.fingerprints[i] ?? '' },
        properties: { confidence: finding.confidence },
      };
      if (finding.related?.length) {
        sarifResult.relatedLocations = finding.related.map((related, id) => ({
          id,
          message: { text: related.message },
          physicalLocation: { artifactLocation, region: region(related.range) },
        }));
      }
      if (finding.fix) {
        sarifResult.fixes = [
          {
            description: { text: finding.fix.title },
            artifactChanges: [
              {
                artifactLocation,
                replacements: finding.fix.edits.map((edit) => ({
                  deletedRegion: region(edit.range),
                  insertedContent: { text: edit.newText },
                })),
              },
            ],
          },
        ];
      }
      return sarifResult;
    }),
  );
  const notifications: Sarif.Notification[] = [
    ...result.skipped.map((s) => ({
      level: 'note' as const,
      message: { text: `Skipped ${s.path}: ${s.reason}` },
    })),
    ...result.files.flatMap((file) =>
      file.notes.map((note) => ({
        level: 'warning' as const,
        message: { text: `${file.path}: ${note.message}` },
      })),
    ),
  ];
  const log: Sarif.Log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'Flask Sentinel',
            semanticVersion: toolVersion,
            version: toolVersion,
            informationUri: 'https://github.com/flask-sentinel/flask-sentinel',
            rules: descriptors,
          },
        },
        originalUriBaseIds: { '%SRCROOT%': { uri: pathToFileUri(result.root) } },
        invocations: [{ executionSuccessful: true, toolExecutionNotifications: notifications }],
        columnKind: 'utf16CodeUnits',
        results,
      },
    ],
  };
  return JSON.stringify(log, null, 2) + '\n';
}

function pathToFileUri(folder: string): string {
  const normalized = folder.split('\\').join('/');
  return `file://${normalized.startsWith('/') ? '' : '/'}${encodeURI(normalized)}${normalized.endsWith('/') ? '' : '/'}`;
}
