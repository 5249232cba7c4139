import type { RuleContext } from '../../engine/context';
import { cookieLabel, cookieProblems } from '../support/cookies';
import { defineRule } from '../rule';

export default defineRule({
  meta: {
    id: 'FS109',
    name: 'cookie-without-httponly-flag',
    title: 'Cookie set without the HttpOnly attribute',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-1004'],
    owasp: ['A05:2021'],
    fix: { title: 'Set httponly=True', safety: 'unsafe' },
    docs: {
      summary:
        'Finds cookies set on a response without `httponly=True`, or with `httponly=False`, and hand-written `Set-Cookie` headers (literals, or built with `+` and `%`) without `; HttpOnly`. Cookies that page scripts must read (double-submit CSRF tokens, theme, language, consent) are not reported, nor calls that delete a cookie.',
      why: 'Page scripts can read a cookie without `HttpOnly` through `document.cookie`: any XSS on the site, or a compromised third-party script, then steals the session or token it holds.',
      example: 'resp.set_cookie("remember_token", token, secure=True)',
      fix: 'resp.set_cookie("remember_token", token, secure=True, httponly=True, samesite="Lax")',
    },
    references: [
      'https://owasp.org/www-community/HttpOnly',
      'https://flask.palletsprojects.com/en/stable/security/#set-cookie-options',
    ],
  },
  // set_cookie(), or a Set-Cookie header in any letter case.
  trigger: /set[-_]cookie/i,
  check(ctx: RuleContext) {
    for (const problem of cookieProblems(ctx)) {
      if (problem.flag !== 'httponly') continue;
      const how = problem.explicit ? 'with httponly=False' : 'without HttpOnly';
      ctx.report(
        problem.at,
        `${cookieLabel(problem)} is set ${how}: page scripts (and so any XSS) can read it. Pass httponly=True.`,
        { confidence: problem.explicit ? 'high' : problem.sensitive ? 'medium' : 'low', fix: problem.fix },
      );
    }
  },
});
