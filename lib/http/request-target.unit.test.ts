import { describe, expect, it } from "vitest";
import { requestTargetProblem } from "./request-target.ts";

describe("requestTargetProblem", () => {
  it("accepts well-formed targets, escapes included", () => {
    for (const t of ["/api/v1/requests", "/api/v1/requests/req_1?wait=5", "/a/%F0%9F%98%80?q=%E2%80%AE&x=a%2Fb", "/x?flag&y=", "/x?a=b+c"]) {
      expect(requestTargetProblem(t), t).toBeNull();
    }
  });

  it("refuses malformed escapes, invalid UTF-8 and NUL in the path", () => {
    for (const t of ["/api/v1/admin/agents/%ZZ", "/api/v1/admin/users/%E0%A4%A", "/x/%C0%AF/y", "/x/%ED%A0%80", "/x/%"]) {
      expect(requestTargetProblem(t), t).toEqual({ path: "(path)", message: "malformed percent-encoding or invalid UTF-8" });
    }
    expect(requestTargetProblem("/api/v1/admin/webhooks/req_%00")).toEqual({ path: "(path)", message: "contains a NUL character" });
  });

  it("refuses them in the query too, naming the parameter", () => {
    expect(requestTargetProblem("/api/v1/requests?status=pending&cursor=a%00b")).toEqual({ path: "query.cursor", message: "contains a NUL character" });
    expect(requestTargetProblem("/api/v1/review/requests?action=%C0%80")).toEqual({
      path: "query.action",
      message: "malformed percent-encoding or invalid UTF-8",
    });
    expect(requestTargetProblem("/x?%ZZ=1")).toEqual({ path: "(query)", message: "malformed percent-encoding or invalid UTF-8" });
  });
});
