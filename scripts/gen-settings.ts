// Writes the extension's `contributes.configuration` from the server's zod settings schema, so the two can
// never disagree (test/client/manifest.test.ts checks that package.json is up to date).
import * as fs from 'node:fs';
import { vscodeConfigurationProperties } from '../server/src/lsp/settingsSchema';

const manifest = JSON.parse(fs.readFileSync('package.json', 'utf8')) as {
  contributes: { configuration: { title: string; properties: unknown } };
};
manifest.contributes.configuration = { title: 'Flask Sentinel', properties: vscodeConfigurationProperties() };
fs.writeFileSync('package.json', `${JSON.stringify(manifest, null, 2)}\n`);
process.stdout.write('Wrote contributes.configuration to package.json\n');
