import { CamelCasePlugin, DummyDriver, Kysely, PostgresAdapter, PostgresIntrospector, PostgresQueryCompiler } from "kysely";
import { describe, expect, it } from "vitest";
import type { DB } from "../db.ts";
import { isLiveKey, liveKey } from "./live-key.ts";

describe("the live-key rule", () => {
  const now = new Date("2026-12-01T12:00:00Z");
  const later = new Date("2026-12-02T00:00:00Z");
  const earlier = new Date("2026-11-30T00:00:00Z");

  it("a key is live until it is revoked or expires", () => {
    expect(isLiveKey({ revokedAt: null, expiresAt: null }, now)).toBe(true);
    expect(isLiveKey({ revokedAt: null, expiresAt: later }, now)).toBe(true);
    expect(isLiveKey({ revokedAt: null, expiresAt: now }, now)).toBe(false);
    expect(isLiveKey({ revokedAt: null, expiresAt: earlier }, now)).toBe(false);
    expect(isLiveKey({ revokedAt: earlier, expiresAt: later }, now)).toBe(false);
  });

  it("says the same in SQL", () => {
    const compiler = new Kysely<DB>({
      dialect: {
        createAdapter: () => new PostgresAdapter(),
        createDriver: () => new DummyDriver(),
        createIntrospector: (db) => new PostgresIntrospector(db),
        createQueryCompiler: () => new PostgresQueryCompiler(),
      },
      plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })],
    });
    const { sql } = compiler.selectFrom("agentKeys as k").select("k.id").where(liveKey).compile();
    expect(sql).toBe('select "k"."id" from "agent_keys" as "k" where ("k"."revoked_at" is null and ("k"."expires_at" is null or "k"."expires_at" > now()))');
  });
});
