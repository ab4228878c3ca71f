/**
 * The baseline: a bare node:http server doing one INSERT per request into a
 * table on the same PostgreSQL, with a `pg` pool, answering 201 JSON. It is
 * what "an HTTP endpoint that writes one row" costs on this machine, so the
 * app's figures can be read against it. Run as a child process by
 * bench/baseline.ts; prints `LISTENING <port>` when ready.
 */
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import pg from "pg";

const url = process.env.BASELINE_DATABASE_URL;
if (!url) throw new Error("BASELINE_DATABASE_URL is required");
const pool = new pg.Pool({ connectionString: url, max: Number(process.env.BASELINE_POOL_SIZE ?? 10) });

await pool.query(`CREATE TABLE IF NOT EXISTS bench_baseline (
  id text PRIMARY KEY,
  agent text NOT NULL,
  body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now())`);

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on("data", (c: Buffer) => chunks.push(c));
  req.on("end", () => {
    const send = (status: number, body: unknown) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString("utf8"));
    } catch {
      return send(400, { error: "invalid json" });
    }
    const id = `req_${randomBytes(12).toString("hex")}`;
    const agent = (req.headers.authorization ?? "").slice(0, 64);
    pool
      .query<{ created_at: Date }>("INSERT INTO bench_baseline (id, agent, body) VALUES ($1, $2, $3) RETURNING created_at", [id, agent, body])
      .then(({ rows }) => send(201, { id, status: "pending", created_at: rows[0].created_at.toISOString(), ...(body as object) }))
      .catch((err: Error) => send(500, { error: err.message }));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, "127.0.0.1", () => {
  const address = server.address() as { port: number };
  process.stdout.write(`LISTENING ${address.port}\n`);
});

const stop = () => server.close(() => void pool.end().finally(() => process.exit(0)));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
