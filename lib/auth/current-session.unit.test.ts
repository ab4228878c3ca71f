import { encode } from "@auth/core/jwt";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resetEnv } from "../env.ts";
import { currentSession } from "./current-session.ts";
import { findLiveSession } from "./sessions.ts";

vi.mock("./sessions.ts", () => ({ findLiveSession: vi.fn() }));
const live = vi.mocked(findLiveSession);

const SECRET = "s".repeat(40);
const COOKIE = "authjs.session-token";
const session = { sessionId: "ses_1", userId: "usr_1", email: "alice@example.test", name: "Alice", role: "reviewer" as const, mustChangePassword: false };

const cookieFor = async (token: Record<string, unknown>, maxAge = 3600, secret = SECRET) =>
  new Headers({ cookie: `other=1; ${COOKIE}=${await encode({ token, secret, salt: COOKIE, maxAge })}` });

describe("the session behind a request's cookie", () => {
  const saved = { secret: process.env.AUTH_SECRET, url: process.env.COUNTERSIGN_PUBLIC_URL };
  beforeEach(() => {
    process.env.AUTH_SECRET = SECRET;
    delete process.env.COUNTERSIGN_PUBLIC_URL;
    resetEnv();
    live.mockReset();
    live.mockResolvedValue(session);
  });
  afterEach(() => {
    vi.useRealTimers();
    process.env.AUTH_SECRET = saved.secret;
    if (saved.url !== undefined) process.env.COUNTERSIGN_PUBLIC_URL = saved.url;
    resetEnv();
  });

  it("reads the session the cookie names, and asks the database on every call (a cached cookie too)", async () => {
    const headers = await cookieFor({ sid: "ses_1" });
    expect(await currentSession(headers)).toEqual({
      sessionId: "ses_1",
      user: { id: "usr_1", email: "alice@example.test", name: "Alice", role: "reviewer", mustChangePassword: false },
    });
    live.mockResolvedValue(null); // signed out meanwhile
    expect(await currentSession(headers)).toBeNull();
    expect(live.mock.calls).toEqual([["ses_1"], ["ses_1"]]);
  });

  it("refuses a cookie past its expiry even after it decoded once", async () => {
    vi.useFakeTimers({ toFake: ["Date"] });
    const headers = await cookieFor({ sid: "ses_1" }, 60);
    expect(await currentSession(headers)).not.toBeNull();
    vi.setSystemTime(Date.now() + 61_000);
    expect(await currentSession(headers)).toBeNull();
    expect(live).toHaveBeenCalledTimes(1);
  });

  it("is signed out for no cookie, a forged or tampered one, or one without a session id; a bearer token is not a session", async () => {
    expect(await currentSession(new Headers())).toBeNull();
    expect(await currentSession(await cookieFor({ sid: "ses_1" }, 3600, "x".repeat(40)))).toBeNull();
    const good = (await cookieFor({ sid: "ses_1" })).get("cookie") as string;
    expect(await currentSession(new Headers({ cookie: `${good.slice(0, -3)}AAA` }))).toBeNull();
    expect(await currentSession(await cookieFor({ uid: "usr_1" }))).toBeNull();
    const jwt = good.split(`${COOKIE}=`)[1];
    expect(await currentSession(new Headers({ authorization: `Bearer ${jwt}`, cookie: "authjs.session-token.x=1" }))).toBeNull();
    expect(live).not.toHaveBeenCalled();
  });

  it("throws when the lookup fails (a database outage is not 'signed out')", async () => {
    live.mockRejectedValue(new Error("connection refused"));
    await expect(currentSession(await cookieFor({ sid: "ses_1" }))).rejects.toThrow("connection refused");
  });
});
