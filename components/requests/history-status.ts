export const HISTORY_STATUS_VALUES = ["all", "approved", "denied", "expired", "cancelled"] as const;
export type HistoryStatus = (typeof HISTORY_STATUS_VALUES)[number];
