import "server-only";
import { randomSecret } from "../ids.ts";
import { sha256Hex } from "../crypto.ts";

const KEY_PATTERN = /^csk_([A-Za-z0-9]{12,32})_([A-Za-z0-9]{40,100})$/;

export interface NewKey {
  id: string;
  secretHash: string;
  /** The full `csk_<id>_<secret>` key: shown once, never stored. */
  plaintext: string;
}

export function generateAgentKey(): NewKey {
  const id = randomSecret(9);
  const secret = randomSecret(32);
  return { id, secretHash: sha256Hex(secret), plaintext: `csk_${id}_${secret}` };
}

export function parseAgentKey(key: string): { id: string; secret: string } | null {
  const m = KEY_PATTERN.exec(key);
  return m ? { id: m[1], secret: m[2] } : null;
}
