/** Headers on every response: the dashboard must never be framed, and agent text must never run as script. */
export function securityHeaders(production: boolean): { key: string; value: string }[] {
  return [
    { key: "X-Frame-Options", value: "DENY" },
    { key: "X-Content-Type-Options", value: "nosniff" },
    { key: "Referrer-Policy", value: "same-origin" },
    { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
    {
      key: "Content-Security-Policy",
      value: [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "img-src 'self' data:",
        "style-src 'self' 'unsafe-inline'",
        // Next's hydration needs inline bootstrap scripts; no remote script sources are allowed.
        `script-src 'self' 'unsafe-inline'${production ? "" : " 'unsafe-eval'"}`,
        "connect-src 'self'",
      ].join("; "),
    },
  ];
}
