/**
 * Wall-clock schedules in a tenant's time zone (NIGHTLY syncs at, say, 02:00 Pacific/Auckland). The next
 * occurrence is found by asking Intl what local time an instant is, so daylight-saving changes are the
 * zone database's business: on a spring-forward day a time that does not exist (02:30 when clocks jump
 * from 02:00 to 03:00) runs at the first instant after the gap; on a fall-back day a time that happens
 * twice runs once, at its first occurrence.
 */

interface LocalTime {
  year: number;
  month: number;
  day: number;
  minutes: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function localTime(instant: number, timeZone: string): LocalTime {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
    });
    formatters.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    minutes: Number(parts.hour) * 60 + Number(parts.minute),
  };
}

/** The first instant after `after` whose local time in `timeZone` is at or past `hhmm` on a new local day. */
export function nextWallClock(hhmm: string, timeZone: string, after: Date): Date {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(hhmm);
  if (!match) throw new Error(`"${hhmm}" is not a time HH:MM`);
  const target = Number(match[1]) * 60 + Number(match[2]);
  const MINUTE = 60_000;
  // Walk forward minute by minute from `after` (at most two days of minutes: cheap, and exact through
  // any offset change). The first minute at or past the target on a local day that has not yet reached
  // it is the occurrence.
  const sameDay = (a: LocalTime, b: LocalTime) => a.day === b.day && a.month === b.month && a.year === b.year;
  const start = localTime(after.getTime(), timeZone);
  // A local day that had already reached the target at `after` has had its run (a repeated hour
  // after a fall-back must not run it twice).
  const doneDay = start.minutes >= target ? start : null;
  let t = Math.floor(after.getTime() / MINUTE) * MINUTE + MINUTE;
  let previous = localTime(t - MINUTE, timeZone);
  for (let i = 0; i < 2 * 24 * 60 + 120; i++, t += MINUTE) {
    const now = localTime(t, timeZone);
    const crossed = now.minutes >= target && (previous.minutes < target || !sameDay(now, previous));
    if (crossed && !(doneDay && sameDay(now, doneDay))) return new Date(t);
    previous = now;
  }
  throw new Error(`no ${hhmm} in ${timeZone} within two days of ${after.toISOString()}`);
}
