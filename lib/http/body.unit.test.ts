import { describe, expect, it } from "vitest";
import { AppError } from "../errors.ts";
import { MAX_BODY_BYTES, readJson } from "./body.ts";

const URL_ = "http://countersign.test/api/v1/requests";

/** A stream of `total` spaces, counting how many bytes were pulled from it. */
function streamOf(total: number, chunk = 4096) {
  const counter = { sent: 0 };
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (counter.sent >= total) return controller.close();
        const n = Math.min(chunk, total - counter.sent);
        counter.sent += n;
        controller.enqueue(new Uint8Array(n).fill(0x20));
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, counter };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return "ok";
  } catch (err) {
    if (err instanceof AppError) return err.code;
    throw err;
  }
}

describe("readJson", () => {
  it("parses a JSON body", async () => {
    expect(await readJson(new Request(URL_, { method: "POST", body: '{"a":[1]}' }))).toEqual({ a: [1] });
  });

  it("refuses a declared Content-Length over the limit before reading anything", async () => {
    let pulled = false;
    const body = new ReadableStream(
      {
        pull() {
          pulled = true;
        },
      },
      { highWaterMark: 0 },
    );
    const req = new Request(URL_, { method: "POST", body, headers: { "content-length": String(MAX_BODY_BYTES + 1) }, duplex: "half" } as RequestInit);
    expect(req.headers.get("content-length")).toBe(String(MAX_BODY_BYTES + 1));
    expect(await codeOf(readJson(req))).toBe("payload_too_large");
    expect(pulled).toBe(false);
  });

  it("refuses a body without Content-Length once it passes the limit, and stops reading", async () => {
    const { stream, counter } = streamOf(10 * MAX_BODY_BYTES);
    const req = new Request(URL_, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    expect(await codeOf(readJson(req))).toBe("payload_too_large");
    expect(counter.sent).toBeLessThan(2 * MAX_BODY_BYTES);
  });

  it("honours a custom limit exactly", async () => {
    expect(await codeOf(readJson(new Request(URL_, { method: "POST", body: '"1234567"' }), 9))).toBe("ok");
    expect(await codeOf(readJson(new Request(URL_, { method: "POST", body: '"12345678"' }), 9))).toBe("payload_too_large");
  });

  it("refuses empty and malformed bodies as validation failures", async () => {
    expect(await codeOf(readJson(new Request(URL_, { method: "POST", body: "" })))).toBe("validation_failed");
    expect(await codeOf(readJson(new Request(URL_, { method: "POST", body: "  \n" })))).toBe("validation_failed");
    expect(await codeOf(readJson(new Request(URL_, { method: "POST", body: "{" })))).toBe("validation_failed");
    expect(await codeOf(readJson(new Request(URL_, { method: "POST" })))).toBe("validation_failed");
  });
});
