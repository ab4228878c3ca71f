import { describe, expect, it } from "vitest";
import { safeCallbackPath, safeRedirectUrl } from "./safe-redirect.ts";

/** Known open-redirect bypasses, each as it arrives raw and, where it differs, as Next hands it over decoded. */
const BYPASSES = [
  "/%09/evil.example",
  "/\t/evil.example",
  "/%0a/evil.example",
  "/\n/evil.example",
  "/%0d/evil.example",
  "/\\evil.example",
  "/\\\\evil.example",
  "/%5Cevil.example",
  "/%5cevil.example",
  "//evil.example",
  "///evil.example",
  "/%2F%2Fevil.example",
  "/%2f/evil.example",
  "/%252F%252Fevil.example",
  "/.//evil.example",
  "/..//evil.example",
  "/a/..//evil.example",
  "https://evil.example",
  "http:evil.example",
  "HTTPS://evil.example/",
  "javascript:alert(1)",
  "JaVaScRiPt:alert(1)",
  "data:text/html,<script>alert(1)</script>",
  "/%0d%0aSet-Cookie:x",
  "/\r\nSet-Cookie:x",
  "\t/evil",
  " /evil",
  "/evil ",
  "\u3000/evil",
  "/\u00a0/evil.example",
  "/\u200b/evil.example",
  "/\u0000/evil.example",
  "/%00/evil.example",
  "/%E2%80%A8/evil.example",
  "evil.example",
  "",
  "/%",
  "/%E0%A4%A",
  `/${"a".repeat(3000)}`,
];

describe("safeCallbackPath", () => {
  it.each(BYPASSES)("refuses %j", (raw) => {
    expect(safeCallbackPath(raw)).toBeNull();
  });

  it("refuses what is not a string", () => {
    for (const v of [undefined, null, 1, ["/"], { toString: () => "/" }]) expect(safeCallbackPath(v)).toBeNull();
  });

  it.each([
    ["/", "/"],
    ["/history", "/history"],
    ["/requests/req_01HX?tab=audit#decision", "/requests/req_01HX?tab=audit#decision"],
    ["/audit?type=request.created&after=2026-01-01", "/audit?type=request.created&after=2026-01-01"],
    ["/admin/webhooks/../agents", "/admin/agents"],
    ["/requests/req%5F1", "/requests/req%5F1"],
  ])("keeps the same-origin path %s", (raw, expected) => {
    expect(safeCallbackPath(raw)).toBe(expected);
  });
});

describe("the Auth.js redirect callback", () => {
  const baseUrl = "https://countersign.example.com";

  it("keeps same-origin URLs and paths", () => {
    expect(safeRedirectUrl({ url: "/history", baseUrl })).toBe(`${baseUrl}/history`);
    expect(safeRedirectUrl({ url: `${baseUrl}/requests/req_1?x=1`, baseUrl })).toBe(`${baseUrl}/requests/req_1?x=1`);
    expect(safeRedirectUrl({ url: baseUrl, baseUrl })).toBe(`${baseUrl}/`);
  });

  it.each([
    ...BYPASSES,
    "https://countersign.example.com.evil.example/",
    "https://countersign.example.com@evil.example/",
    `${baseUrl}/\t/evil.example`,
    `${baseUrl}//evil.example`,
  ])("sends %j to the base URL", (url) => {
    expect(safeRedirectUrl({ url, baseUrl })).toBe(baseUrl);
  });
});
