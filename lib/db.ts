import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client.ts";
import { env } from "./env.ts";

export type Db = InstanceType<typeof PrismaClient>;
/** A client or an interactive transaction: what domain functions run their queries on. */
export type Tx = Omit<Db, "$connect" | "$disconnect" | "$on" | "$transaction" | "$extends">;

const key = Symbol.for("countersign.prisma");
type Holder = { [key]?: Db };

function create(): Db {
  const url = env().DATABASE_URL;
  if (!url) throw new Error("DATABASE_URL is not set (start the app with `countersign start`)");
  const adapter = new PrismaPg({ connectionString: url, max: env().DATABASE_POOL_SIZE });
  return new PrismaClient({ adapter });
}

/**
 * The one Prisma client of the process, shared by route handlers, the CLI and
 * tests (kept on globalThis so hot reloads and Next's bundles reuse it).
 */
export function db(): Db {
  const holder = globalThis as Holder;
  holder[key] ??= create();
  return holder[key];
}

export async function disconnectDb(): Promise<void> {
  const holder = globalThis as Holder;
  const client = holder[key];
  holder[key] = undefined;
  await client?.$disconnect();
}
