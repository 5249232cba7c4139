import type { RuleContext } from '../../engine/context';
import { cookieLabel, cookieProblems } from '../support/cookies';
import { defineRule } from '../rule';

export default defineRule({
  meta: {
    id: 'FS105',
    name: 'cookie-without-secure-flag',
    title: 'Cookie set without the Secure attribute',
    severity: 'warning',
    confidence: 'medium',
    cwe: ['CWE-614'],
    owasp: ['A05:2021'],
    fix: { title: 'Set secure=True', safety: 'unsafe' },
    docs: {
      summary:
        'Finds cookies set on a response (`resp.set_cookie(...)` on anything built by `make_response`, `Response`, `redirect`, `jsonify`, ...) without `secure=True`, or with `secure=False` (keyword or positional), and hand-written `Set-Cookie` headers (literals, or built with `+` and `%`) without `; Secure`. Calls that delete a cookie (`expires=0`, `max_age=0`) are skipped. HttpOnly and SameSite are FS109 and FS110.',
      why: 'A cookie without `Secure` is also sent over plain HTTP: anyone on the network path (public Wi-Fi, a proxy) reads it, and for a session or remember-me cookie that is the account. Browsers send it on any `http://` request to the domain, including one an attacker provokes with an image tag.',
      example:
        'resp = make_response(redirect("/"))\nresp.set_cookie("session_id", sid, secure=False)\nreturn resp',
      fix: 'resp = make_response(redirect("/"))\nresp.set_cookie("session_id", sid, secure=True, httponly=True, samesite="Lax")\nreturn resp',
    },
    references: [
      'https://flask.palletsprojects.com/en/stable/security/#set-cookie-options',
      'https://werkzeug.palletsprojects.com/en/stable/wrappers/#werkzeug.wrappers.Response.set_cookie',
      'https://owasp.org/www-community/controls/SecureCookieAttribute',
    ],
  },
  // set_cookie(), or a Set-Cookie header in any letter case.
  trigger: /set[-_]cookie/i,
  check(ctx: RuleContext) {
    for (const problem of cookieProblems(ctx)) {
      if (problem.flag !== 'secure') continue;
      const how = problem.explicit ? 'with secure=False' : 'without Secure';
      ctx.report(
        problem.at,
        `${cookieLabel(problem)} is set ${how}: it is also sent over plain HTTP, where anyone on the network path can read it. Pass secure=True.`,
        { confidence: problem.explicit ? 'high' : problem.sensitive ? 'medium' : 'low', fix: problem.fix },
      );
    }
  },
});
