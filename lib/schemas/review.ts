import { RequestStatus } from "./requests.ts";
import { z } from "./zod.ts";

export const ReviewListQuery = z.strictObject({
  status: z.union([RequestStatus, z.literal("decided")]).optional(),
  action: z.string().max(128).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});
