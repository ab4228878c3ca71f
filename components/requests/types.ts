// The shapes the review endpoints return, shared with the server as types only
// (nothing from lib/ is bundled into the browser).
export type { ReviewItem } from "@/lib/requests/review-view";
export type { RequestObject } from "@/lib/schemas/requests";

export type RequestStatus = "pending" | "approved" | "denied" | "expired" | "cancelled";
