/**
 * What an EXPORT-lane call may use beyond the export reserve, when the integration's reserve mode is
 * ADAPTIVE (README, "The dispatch engine": Caps). The engine knows no schedules: the work source that
 * knows when pulls are due works it out (sync/export-reserve.ts) and hands it over with its offer; the
 * budget script applies it in the same atomic step as every other cap. Without one, the reserve is
 * strict: the catalog's (or the override's) export figures.
 */
export interface ExportAllowance {
  /**
   * Export calls allowed in the sliding minute: the whole minute cap while no pull is queued, running or
   * due within the window; the strict reserve's figure otherwise, so the pull finds what it would keep.
   */
  perMinute: number;
  /**
   * Day calls to leave free for the rest of the day's scheduled pulls. Past the reserve's day figure an
   * export is admitted only while that many stay free after it; -1: unknown, the reserve's day figure holds.
   */
  dayKeep: number;
}
