import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";

/**
 * Every Prometheus metric syncline exposes, defined once, here (`GET /metrics` on an API node, or on
 * SYNCLINE_METRICS_PORT for a process without the API role). Counters and histograms are counted by the
 * process that does the work (a worker's provider calls, an API node's subscriptions); the fleet's state
 * (budgets, lane depths, the outbox) is read from PostgreSQL and Redis when scraped, by the reader the
 * composition root registers (`observeFleet`), so every node reports the same figures.
 */
export const registry = new Registry();
registry.setDefaultLabels({ service: "syncline" });
// Process figures (CPU, memory, handles) and Node's event-loop lag (nodejs_eventloop_lag_seconds).
collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

/** One provider call, by platform, lane and outcome (ok, rateLimited, retryable, rejected, unauthorized). */
export const providerCalls = new Counter({
  name: "syncline_provider_calls_total",
  help: "Provider calls made, by platform, lane and outcome.",
  labelNames: ["platform", "lane", "outcome"] as const,
  registers: [registry],
});

export const providerCallDuration = new Histogram({
  name: "syncline_provider_call_duration_seconds",
  help: "Wall time of a provider call, from request to answer, by platform and lane.",
  labelNames: ["platform", "lane"] as const,
  buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

/** A platform's 429, by the cap it named (minute, day, concurrent, app minute …). */
export const rateLimited = new Counter({
  name: "syncline_rate_limited_total",
  help: "Provider calls answered 429, by platform and the problem the platform named.",
  labelNames: ["platform", "problem"] as const,
  registers: [registry],
});

export const syncRunsFinished = new Counter({
  name: "syncline_sync_runs_finished_total",
  help: "Sync runs that ended, by kind and final status (SUCCEEDED, PARTIAL, FAILED, CANCELLED).",
  labelNames: ["kind", "status"] as const,
  registers: [registry],
});

export const syncRunDuration = new Histogram({
  name: "syncline_sync_run_duration_seconds",
  help: "Real time from a run's start to its end (queued runs cancelled before starting are not timed).",
  labelNames: ["kind", "status"] as const,
  buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 24 * 3600],
  registers: [registry],
});

/** For the connections (OAuth) code: one access-token refresh, by platform and outcome. */
export const tokenRefreshes = new Counter({
  name: "syncline_token_refreshes_total",
  help: "Access-token refreshes, by platform and outcome (refreshed, refused, failed).",
  labelNames: ["platform", "outcome"] as const,
  registers: [registry],
});

/**
 * The call budget refused a call of the engine's work (pull pages, push packets, exports; a live read's
 * refusals are not counted), by the cap that held it back: why work waits while nothing is wrong. The
 * call slots of one activation share a refusal of exports (engine/dispatcher.ts), so an export backlog
 * adds one per wait; pulls and pushes, one per slot that asked.
 */
export const budgetRefusals = new Counter({
  name: "syncline_budget_refusals_total",
  help: "The call budget's refusals of engine work (not live reads), by platform, lane and the cap that refused (minute, day, exportMinute, exportDay, concurrent, blocked, interactive, appPace, appShare, appMinute, appLane, appBlocked, rebuild, rebuildApp); an activation's slots share a refusal of exports.",
  labelNames: ["platform", "lane", "reason"] as const,
  registers: [registry],
});

/**
 * For the engine: work claimed, then put back because the budget refused its call. Each is two writes
 * for nothing (the claim and its undoing); work known to wait asks the budget before it is claimed
 * (WorkSession.waiting), so a backlog held back by its budget should add few.
 */
export const claimsPutBack = new Counter({
  name: "syncline_claims_put_back_total",
  help: "Work claimed and then put back because the call budget refused its call, by platform and lane.",
  labelNames: ["platform", "lane"] as const,
  registers: [registry],
});

/**
 * For the engine: a grant taken for work known to wait (before it is claimed) whose work was gone when
 * claimed. The unit stays charged, as a call made: what asking the budget first costs.
 */
export const grantsUnused = new Counter({
  name: "syncline_grants_unused_total",
  help: "Budget grants taken for work known to wait that found no work to claim (charged as calls made), by platform and lane.",
  labelNames: ["platform", "lane"] as const,
  registers: [registry],
});

/** For the engine: activations started (a fresh one costs a fencing token and a servable read). */
export const activationsStarted = new Counter({
  name: "syncline_activations_total",
  help: "Activations this process started (an integration's lock taken, with a fencing token and a look at whether it may be served).",
  registers: [registry],
});

/** For the engine: activations resting in place (dispatcher.ts, serveRounds). */
export const activationsResting = new Gauge({
  name: "syncline_activations_resting",
  help: "Activations of this process resting in place: holding their integration, not a worker slot, until their budget allows a call.",
  registers: [registry],
});

/** For the engine: activations holding one of their process's seats (dispatcher.ts, Seats). */
export const activationsServing = new Gauge({
  name: "syncline_activations_serving",
  help: "Activations of this process serving now in one of its SYNCLINE_WORKER_CONCURRENCY seats (those of the urgent queue, and those woken by an announcement, serve without one).",
  registers: [registry],
});

/** For the webhooks code: one delivery attempt to a host endpoint, by outcome. */
export const webhookDeliveries = new Counter({
  name: "syncline_webhook_deliveries_total",
  help: "Webhook delivery attempts to host endpoints, by outcome (delivered, failed, gave_up).",
  labelNames: ["outcome"] as const,
  registers: [registry],
});

export const subscriptionsOpen = new Gauge({
  name: "syncline_subscriptions_open",
  help: "GraphQL subscriptions open on this node, by transport (ws or sse) and field.",
  labelNames: ["transport", "field"] as const,
  registers: [registry],
});

let statementsSent = () => 0;

/** The database layer says how many statements it has sent (db/client.ts, Database.queryCount). */
export function countDatabaseStatements(read: () => number): void {
  statementsSent = read;
}

new Gauge({
  name: "syncline_db_statements",
  help: "Statements this process has sent to PostgreSQL since it started (Prisma and raw SQL): its database work, e.g. per subscription event.",
  registers: [registry],
  collect() {
    this.set(statementsSent());
  },
});

export const subscribersClosedSlow = new Counter({
  name: "syncline_subscribers_closed_slow_total",
  help: "Transition-stream subscribers this node closed because they stopped taking events while too far behind (WebSocket 4008; they resume from their sequence).",
  labelNames: ["transport"] as const,
  registers: [registry],
});

// --- the fleet's state, read when scraped ------------------------------------------------------------

/** One integration's queue and budget, as the fleet reader returns it. */
export interface IntegrationGauges {
  integrationId: string;
  platform: string;
  lanes: { lane: string; depth: number }[];
  /** Outbox items by status (pending, sending, failed; sent ones are history). */
  outbox: { pending: number; sending: number; failed: number };
  /** Used and limit per window: minute, day, exportMinute, exportDay, concurrent. */
  windows: { window: string; used: number; limit: number }[];
  /** Seconds until a platform's 429 block ends (0: not blocked). */
  blockedSeconds: number;
}

export type FleetReader = () => Promise<IntegrationGauges[]>;

let fleetReader: FleetReader | null = null;

/** Registers the reader of the fleet's state; returns the function that removes it again. */
export function observeFleet(reader: FleetReader): () => void {
  fleetReader = reader;
  return () => {
    if (fleetReader === reader) fleetReader = null;
  };
}

const budgetUsed = new Gauge({
  name: "syncline_budget_used",
  help: "Calls used in each rate window of each integration (concurrent: calls in flight).",
  labelNames: ["integration_id", "platform", "window"] as const,
  registers: [registry],
});
const budgetLimit = new Gauge({
  name: "syncline_budget_limit",
  help: "The cap of each rate window of each integration (exportMinute and exportDay: what the integration's last export call was allowed, which under the ADAPTIVE reserve moves with its pull schedule).",
  labelNames: ["integration_id", "platform", "window"] as const,
  registers: [registry],
});
const budgetBlocked = new Gauge({
  name: "syncline_budget_blocked_seconds",
  help: "Seconds until an integration's block from a platform 429 ends (0: not blocked).",
  labelNames: ["integration_id", "platform"] as const,
  registers: [registry],
});
const laneDepth = new Gauge({
  name: "syncline_lane_depth",
  help: "Runs and outbox items waiting or in flight, per integration and lane.",
  labelNames: ["integration_id", "platform", "lane"] as const,
  registers: [registry],
});
const outboxItems = new Gauge({
  name: "syncline_outbox_items",
  help: "Export outbox items per integration by status (pending, sending, failed).",
  labelNames: ["integration_id", "platform", "status"] as const,
  registers: [registry],
});
const fleetScrapeErrors = new Counter({
  name: "syncline_fleet_scrape_errors_total",
  help: "Scrapes whose read of the fleet's state (PostgreSQL, Redis) failed; the state gauges were left empty.",
  registers: [registry],
});

const FLEET_GAUGES = [budgetUsed, budgetLimit, budgetBlocked, laneDepth, outboxItems];

/**
 * One app-wide cap's window (Xero's: every XPM and Xero Accounting integration of the deployment), as the
 * app reader returns it: figures only, no integration (the app is shared across tenants).
 */
export interface AppGauges {
  app: string;
  /** Calls in the app's sliding minute, and the app's calls a minute. */
  used: number;
  limit: number;
  /** Integrations that asked for the app's budget within its window (its fair share's divisor). */
  active: number;
  /** Integrations waiting in the app's line, and those of them under their fair share. */
  waiting: number;
  starving: number;
  /** Seconds until the block of the platform's `appminute` 429 ends (0: not blocked). */
  blockedSeconds: number;
}

export type AppReader = () => Promise<AppGauges[]>;

let appReader: AppReader | null = null;

/** Registers the reader of the apps' windows; returns the function that removes it again. */
export function observeApps(reader: AppReader): () => void {
  appReader = reader;
  return () => {
    if (appReader === reader) appReader = null;
  };
}

const appLabels = ["app"] as const;
const appUsed = new Gauge({
  name: "syncline_app_budget_used",
  help: "Calls in an app-wide cap's sliding minute, across every integration of the app.",
  labelNames: appLabels,
  registers: [registry],
});
const appLimit = new Gauge({
  name: "syncline_app_budget_limit",
  help: "An app-wide cap's calls a minute (Xero: 10,000 per app, unless configured otherwise).",
  labelNames: appLabels,
  registers: [registry],
});
const appActive = new Gauge({
  name: "syncline_app_integrations_active",
  help: "Integrations that asked for an app-wide cap's budget within its window (the app's minute divided by them is each one's fair share).",
  labelNames: appLabels,
  registers: [registry],
});
const appWaiting = new Gauge({
  name: "syncline_app_integrations_waiting",
  help: "Integrations waiting for an app-wide cap's budget now.",
  labelNames: appLabels,
  registers: [registry],
});
const appStarving = new Gauge({
  name: "syncline_app_integrations_starving",
  help: "Of the integrations waiting for an app's budget, those under their fair share of it.",
  labelNames: appLabels,
  registers: [registry],
});
const appBlocked = new Gauge({
  name: "syncline_app_budget_blocked_seconds",
  help: "Seconds until an app's block from the platform's appminute 429 ends (0: not blocked).",
  labelNames: appLabels,
  registers: [registry],
});
const APP_GAUGES = [appUsed, appLimit, appActive, appWaiting, appStarving, appBlocked];

/** One read of Redis per app per scrape (a few commands in one script), whatever the fleet's size. */
async function readApps(): Promise<void> {
  for (const gauge of APP_GAUGES) gauge.reset();
  if (!appReader) return;
  let apps: AppGauges[];
  try {
    apps = await appReader();
  } catch {
    fleetScrapeErrors.inc();
    return;
  }
  for (const a of apps) {
    const labels = { app: a.app };
    appUsed.set(labels, a.used);
    appLimit.set(labels, a.limit);
    appActive.set(labels, a.active);
    appWaiting.set(labels, a.waiting);
    appStarving.set(labels, a.starving);
    appBlocked.set(labels, a.blockedSeconds);
  }
}

async function readFleet(): Promise<void> {
  for (const gauge of FLEET_GAUGES) gauge.reset();
  if (!fleetReader) return;
  let fleet: IntegrationGauges[];
  try {
    fleet = await fleetReader();
  } catch {
    fleetScrapeErrors.inc();
    return;
  }
  for (const i of fleet) {
    const base = { integration_id: i.integrationId, platform: i.platform };
    for (const w of i.windows) {
      budgetUsed.set({ ...base, window: w.window }, w.used);
      budgetLimit.set({ ...base, window: w.window }, w.limit);
    }
    budgetBlocked.set(base, i.blockedSeconds);
    for (const l of i.lanes) laneDepth.set({ ...base, lane: l.lane }, l.depth);
    for (const [status, count] of Object.entries(i.outbox)) outboxItems.set({ ...base, status }, count);
  }
}

/** The exposition: every metric in Prometheus' text format, the fleet's state read fresh. */
export async function metricsExposition(): Promise<{ contentType: string; body: string }> {
  await Promise.all([readFleet(), readApps()]);
  return { contentType: registry.contentType, body: await registry.metrics() };
}

// --- helpers the code that does the work calls --------------------------------------------------------

/** Counts one provider call and its duration (seconds). */
export function observeProviderCall(
  call: { platform: string; lane: string; outcome: string; problem?: string },
  seconds: number,
): void {
  providerCalls.inc({ platform: call.platform, lane: call.lane, outcome: call.outcome });
  providerCallDuration.observe({ platform: call.platform, lane: call.lane }, seconds);
  if (call.outcome === "rateLimited")
    rateLimited.inc({ platform: call.platform, problem: call.problem ?? "unknown" });
}

/** Counts a run that ended, and times it when it had started. */
export function observeRunFinished(run: {
  kind: string;
  status: string;
  startedAt: Date | null;
  finishedAt: Date | null;
}): void {
  syncRunsFinished.inc({ kind: run.kind, status: run.status });
  if (run.startedAt) {
    const end = run.finishedAt ?? new Date();
    syncRunDuration.observe(
      { kind: run.kind, status: run.status },
      Math.max(0, (end.getTime() - run.startedAt.getTime()) / 1000),
    );
  }
}
