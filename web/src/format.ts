/** How the page writes times and durations. */

export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "in 3 min 2 s" or "12 s ago", from `now`. */
export function relative(iso: string | null | undefined, now: number): string {
  if (!iso) return "—";
  const delta = (new Date(iso).getTime() - now) / 1000;
  if (Math.abs(delta) < 1) return "now";
  return delta > 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`;
}

export function clock(iso: string | Date | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleTimeString();
}

export function dateTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  return new Date(iso).toLocaleString();
}

export function count(n: number): string {
  return n.toLocaleString();
}

/** A CSS class for a status or state word (badges are coloured by it). */
export function tone(word: string): string {
  switch (word) {
    case "SUCCEEDED":
    case "SENT":
    case "CONNECTED":
    case "DONE":
      return "good";
    case "FAILED":
    case "ERROR":
    case "NEEDS_AUTHORIZATION":
      return "bad";
    case "PARTIAL":
    case "DEFERRED":
    case "PAUSED":
    case "SKIPPED":
    case "CANCELLED":
      return "warn";
    case "RUNNING":
    case "SYNCING":
    case "SENDING":
    case "PULLING":
      return "busy";
    default:
      return "idle";
  }
}
