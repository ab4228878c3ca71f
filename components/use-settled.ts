"use client";

import { useEffect, useState } from "react";

/** `value`, once it has stopped changing for `ms`: typing a filter fetches once, not per key. */
export function useSettled<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return settled;
}
