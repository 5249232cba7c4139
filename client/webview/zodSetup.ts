import * as z from 'zod';

// Imported first by chat.ts, before the protocol's schemas are built. zod 4 compiles object parsers with
// `new Function` unless told not to, and probes for it on the first schema; under the webview's CSP (no
// 'unsafe-eval') the probe is blocked and reported as a CSP violation. Jitless mode skips both.
z.config({ jitless: true });
