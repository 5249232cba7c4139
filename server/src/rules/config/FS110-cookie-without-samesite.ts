import type { RuleContext } from '../../engine/context';
import { cookieLabel, cookieProblems } from '../support/cookies';
import { defineRule } from '../rule';

export default defineRule({
  meta: {
    id: 'FS110',
    name: 'cookie-without-samesite',
    title: 'Cookie set without SameSite=Lax or Strict',
    severity: 'info',
    confidence: 'low',
    cwe: ['CWE-1275'],
    owasp: ['A01:2021'],
    fix: { title: 'Set samesite="Lax"', safety: 'unsafe' },
    docs: {
      summary:
        'Finds cookies set on a response without a `samesite` value, or with `samesite=None`/`"None"`, and hand-written `Set-Cookie` headers (literals, or built with `+` and `%`) without `; SameSite=Lax` or `Strict`. Calls that delete a cookie are skipped.',
      why: 'Without `SameSite` the decision is left to the browser: older browsers (and Chrome for two minutes after a cookie is set) attach it to requests other sites forge, which is what CSRF needs. `SameSite=None` asks for that explicitly. Most browsers now default to `Lax`, so this is informational unless the cookie authenticates state-changing requests.',
      example: 'resp.set_cookie("session_id", sid, secure=True, httponly=True)',
      fix: 'resp.set_cookie("session_id", sid, secure=True, httponly=True, samesite="Lax")',
    },
    references: [
      'https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Set-Cookie#samesitesamesite-value',
      'https://owasp.org/www-community/SameSite',
    ],
  },
  // set_cookie(), or a Set-Cookie header in any letter case.
  trigger: /set[-_]cookie/i,
  check(ctx: RuleContext) {
    for (const problem of cookieProblems(ctx)) {
      if (problem.flag !== 'samesite') continue;
      const how = problem.explicit ? 'with SameSite=None' : 'without SameSite';
      ctx.report(
        problem.at,
        `${cookieLabel(problem)} is set ${how}: browsers may attach it to requests other sites forge (CSRF). Pass samesite="Lax".`,
        {
          confidence: problem.sensitive ? 'medium' : 'low',
          severity: problem.explicit ? 'warning' : 'info',
          fix: problem.fix,
        },
      );
    }
  },
});
