/**
 * Signs in through Auth.js's credentials provider exactly as the browser form
 * does (CSRF token and cookie, then the callback), and returns the session
 * cookie, or null when the sign-in was refused. Shared by the integration
 * tests, the Playwright specs and the benchmarks; it imports no test runner.
 */
export async function passwordSignIn(baseUrl: string, user: { email: string; password: string }): Promise<string | null> {
  const csrfRes = await fetch(`${baseUrl}/api/auth/csrf`);
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = csrfRes.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const res = await fetch(`${baseUrl}/api/auth/callback/credentials`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: csrfCookie, origin: baseUrl },
    body: new URLSearchParams({ csrfToken, email: user.email, password: user.password }),
  });
  await res.arrayBuffer();
  const session = res.headers.getSetCookie().find((c) => c.startsWith("authjs.session-token="));
  return session ? session.split(";")[0] : null;
}

/**
 * Signs out through Auth.js exactly as the browser does (CSRF token, then
 * POST /api/auth/signout with the session cookie). Returns the HTTP status.
 */
export async function passwordSignOut(baseUrl: string, sessionCookie: string): Promise<number> {
  const csrfRes = await fetch(`${baseUrl}/api/auth/csrf`, { headers: { cookie: sessionCookie } });
  const { csrfToken } = (await csrfRes.json()) as { csrfToken: string };
  const csrfCookie = csrfRes.headers
    .getSetCookie()
    .map((c) => c.split(";")[0])
    .join("; ");
  const res = await fetch(`${baseUrl}/api/auth/signout`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: [sessionCookie, csrfCookie].filter(Boolean).join("; "), origin: baseUrl },
    body: new URLSearchParams({ csrfToken }),
  });
  await res.arrayBuffer();
  return res.status;
}
