import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import type { PlatformKey } from "./platforms/catalog.ts";
import { type TimeScale, timeScale } from "./time.ts";

/** The processes a syncline binary can play; `npm start` runs all three. */
export const ROLES = ["api", "worker", "scheduler"] as const;
export type Role = (typeof ROLES)[number];

export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface Config {
  env: "development" | "test" | "production";
  host: string;
  port: number;
  /** Where embedded state lives (PGlite database, private Redis, generated encryption key). */
  dataDir: string;
  database: { kind: "postgres"; url: string } | { kind: "pglite"; dir: string };
  /** `embedded` means: no REDIS_URL was given, so a private redis-server may be started. */
  redis: { url: string; embedded: boolean };
  /** Prefix of every Redis key and channel, so several deployments (or test files) can share a Redis. */
  redisPrefix: string;
  /** Live subscriptions (graphql/live): how often state streams change, how far a subscriber may lag. */
  live: {
    /**
     * A state event (an integration's queue figures, a run's progress) is published at most once per
     * this many real ms per integration or run; the last of a burst is always sent.
     */
    stateIntervalMs: number;
    /**
     * Events a transition-stream subscriber may lag behind (or changes a state-stream subscriber may
     * have waiting) before it is closed, to resume from its sequence.
     */
    bufferLimit: number;
    /** A state read is shared with subscribers arriving later for at most this many real ms. */
    stateMaxAgeMs: number;
    /**
     * Real ms a slow subscriber's connection is given to take its close (and what was queued before it)
     * before it is cut off.
     */
    closeGraceMs: number;
  };
  /** 32-byte key for remote credentials at rest (AES-256-GCM). */
  encryptionKey: Buffer;
  /** The logger's level (configureLogger); tests default to silent. */
  logLevel: LogLevel;
  time: TimeScale;
  /** Base URL of each platform's API (point them at the sandboxes to try syncline without accounts). */
  platformUrls: Record<PlatformKey, string>;
  /** Connecting platforms through their authorization pages (OAuth 2.0 code flow with PKCE). */
  oauth: OAuthConfig;
  /** Webhooks to the host (src/webhooks). */
  webhooks: {
    /** Register and deliver to loopback, private and local targets, over plain http too: development and tests only. */
    allowPrivateTargets: boolean;
    /** Real ms a receiver has to answer a delivery. */
    timeoutMs: number;
    /** Real ms between the delivery worker's looks for due deliveries. */
    pollIntervalMs: number;
    /** Endpoints one worker process delivers to at once. */
    concurrency: number;
  };
  /**
   * How long what is over is kept, in platform days (SYNCLINE_MINUTE_MS scales them): the scheduler
   * prunes older rows in batches, once a platform hour.
   */
  retention: {
    /** Webhook deliveries delivered or given up this long ago are deleted, with their attempts. */
    webhookDays: number;
    /** Tombstones (records deleted on the platform) found this long ago are deleted. */
    tombstoneDays: number;
  };
  /** What operators scrape and trace (`/metrics` is always on an API node's port). */
  observability: {
    /** A port for /metrics in processes without the API role (null: none). */
    metricsPort: number | null;
    /** An OTLP/HTTP traces endpoint: provider calls are traced when set (null: tracing off). */
    otlpTracesUrl: string | null;
  };
  engine: {
    /**
     * Activations one worker process serves at once (its seats, engine/seats.ts; each activation runs its
     * integration's parallel call slots), and the jobs it takes at once. An activation resting in place
     * holds neither (`restingActivations`); those of the urgent queue, and those an announced run woke,
     * serve without a seat.
     */
    workerConcurrency: number;
    /** Real milliseconds before a provider call is abandoned as a timeout. */
    callTimeoutMs: number;
    /**
     * Real milliseconds after a worker's last heartbeat before what it held is freed: its activation
     * locks and the budget leases of its calls in flight live this long without renewal (they are renewed
     * every third of it), so a killed worker's integrations are served again, with their full concurrency,
     * within it.
     */
    heartbeatLapseMs: number;
    /** Real milliseconds between the scheduler's sweeps for integrations with pending work. */
    sweepIntervalMs: number;
    /** Real milliseconds added to each sliding minute, as extra margin. Not needed to stay under the
     * caps (calls are dated at their end, see CallBudget.release); 0 by default. */
    windowGuardMs: number;
    /** A wait for budget up to this many real ms is slept in place; a longer one parks the activation
     * as a delayed job, freeing its worker slot, unless it may rest (`restingActivations`). */
    parkAfterMs: number;
    /**
     * Activations one worker process keeps resting in place, holding their integration but not a worker
     * slot, while they wait up to a platform minute for budget; beyond it they park. 0: always park.
     */
    restingActivations: number;
    /** App-wide caps (platforms/catalog.ts, `appCaps`) as this deployment's apps have them. */
    apps: {
      /** Calls a minute per app, overriding the catalog's figure (by the catalog's app name, e.g. "xero"). */
      perMinute: Record<string, number>;
      /**
       * The share of an app's minute the lowest lane (EXPORT) leaves to the lanes above it; the lanes in
       * between leave a part of it in proportion to their rank (engine/rate-limit/budget.ts, appKeep).
       */
      laneHeadroom: number;
      /**
       * Whether exports go no faster than the app's minute spread evenly (budget.lua: pace), so the window
       * frees a unit at a time for a pull that arrives, not in bursts a minute apart. On unless turned off.
       */
      paced: boolean;
    };
  };
}

/** How syncline connects platforms that authorize with OAuth 2.0 (both Xero APIs). */
export interface OAuthConfig {
  /**
   * syncline's public base URL: a platform sends the browser back to `<publicUrl>/oauth/callback`, which
   * must be registered with the platform's app. Null: the API server's own address.
   */
  publicUrl: string | null;
  /** Where the callback may send the browser afterwards: a connection's return URL must lie under one of these. */
  returnUrls: string[];
  /** Real ms a connection's state stays valid: the user authorizes, and chooses an organisation, within it. */
  stateTtlMs: number;
  /** Platform seconds: an access token with less than this left is refreshed before a call. */
  refreshMarginSeconds: number;
  /** Xero's identity endpoints (login page, token and revocation, connections), shared by XPM and Accounting. */
  xero: { authorizeUrl: string; tokenUrl: string; revocationUrl: string; connectionsUrl: string };
  /** Each OAuth platform's app (client id and secret), from configuration only; absent: not configured. */
  clients: Partial<Record<PlatformKey, { clientId: string; clientSecret: string }>>;
}

const EnvSchema = z.object({
  NODE_ENV: z.enum(["development", "test", "production"]).default("development"),
  HOST: z.string().default("0.0.0.0"),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  SYNCLINE_DATA_DIR: z.string().default("./data"),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, "must be a postgresql:// URL")
    .optional(),
  REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, "must be a redis:// URL")
    .optional(),
  SYNCLINE_REDIS_PREFIX: z.string().min(1).default("syncline"),
  SYNCLINE_LIVE_STATE_INTERVAL_MS: z.coerce.number().int().nonnegative().default(250),
  SYNCLINE_LIVE_BUFFER: z.coerce.number().int().min(10).default(1000),
  SYNCLINE_LIVE_CLOSE_GRACE_MS: z.coerce.number().int().nonnegative().default(5000),
  SYNCLINE_ENCRYPTION_KEY: z.string().optional(),
  LOG_LEVEL: z.enum(LOG_LEVELS).optional(),
  /** Length of a platform minute in milliseconds; lower it to run schedules and windows in compressed time. */
  SYNCLINE_MINUTE_MS: z.coerce.number().positive().default(60_000),
  SYNCLINE_XPM_URL: z.url().default("https://api.xero.com/practicemanager/"),
  SYNCLINE_XERO_ACCOUNTING_URL: z.url().default("https://api.xero.com/api.xro/2.0/"),
  SYNCLINE_PSA_URL: z.url().default("https://api-na.myconnectwise.net/v4_6_release/apis/3.0/"),
  SYNCLINE_PUBLIC_URL: z.url().optional(),
  SYNCLINE_OAUTH_RETURN_URLS: z
    .string()
    .default("")
    .transform((list) =>
      list
        .split(",")
        .map((url) => url.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.url({ protocol: /^https?$/ }))),
  SYNCLINE_OAUTH_STATE_TTL_SECONDS: z.coerce.number().positive().default(600),
  SYNCLINE_TOKEN_REFRESH_MARGIN_SECONDS: z.coerce.number().nonnegative().default(120),
  SYNCLINE_XERO_LOGIN_URL: z.url().default("https://login.xero.com/"),
  SYNCLINE_XERO_IDENTITY_URL: z.url().default("https://identity.xero.com/"),
  SYNCLINE_XERO_CONNECTIONS_URL: z.url().default("https://api.xero.com/"),
  SYNCLINE_XERO_CLIENT_ID: z.string().min(1).optional(),
  SYNCLINE_XERO_CLIENT_SECRET: z.string().min(1).optional(),
  SYNCLINE_XPM_CLIENT_ID: z.string().min(1).optional(),
  SYNCLINE_XPM_CLIENT_SECRET: z.string().min(1).optional(),
  SYNCLINE_XERO_ACCOUNTING_CLIENT_ID: z.string().min(1).optional(),
  SYNCLINE_XERO_ACCOUNTING_CLIENT_SECRET: z.string().min(1).optional(),
  SYNCLINE_WEBHOOKS_ALLOW_PRIVATE_TARGETS: z.enum(["true", "false"]).default("false"),
  SYNCLINE_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().positive().default(10_000),
  SYNCLINE_WEBHOOK_POLL_MS: z.coerce.number().int().positive().default(200),
  SYNCLINE_WEBHOOK_CONCURRENCY: z.coerce.number().int().positive().default(50),
  SYNCLINE_WEBHOOK_RETENTION_DAYS: z.coerce.number().positive().default(30),
  SYNCLINE_TOMBSTONE_RETENTION_DAYS: z.coerce.number().positive().default(30),
  SYNCLINE_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  SYNCLINE_OTLP_TRACES_URL: z.url({ protocol: /^https?$/ }).optional(),
  SYNCLINE_WORKER_CONCURRENCY: z.coerce.number().int().positive().default(200),
  SYNCLINE_CALL_TIMEOUT_MS: z.coerce.number().int().positive().default(30_000),
  SYNCLINE_HEARTBEAT_LAPSE_MS: z.coerce.number().int().positive().default(3_000),
  SYNCLINE_SWEEP_INTERVAL_MS: z.coerce.number().int().positive().default(2_000),
  SYNCLINE_WINDOW_GUARD_MS: z.coerce.number().int().nonnegative().default(0),
  SYNCLINE_PARK_AFTER_MS: z.coerce.number().int().nonnegative().default(1000),
  SYNCLINE_RESTING_ACTIVATIONS: z.coerce.number().int().nonnegative().default(5000),
  /** Calls a minute across every tenant of the Xero app (Xero's figure is 10,000; tiers may differ). */
  SYNCLINE_XERO_APP_PER_MINUTE: z.coerce.number().int().positive().optional(),
  SYNCLINE_APP_LANE_HEADROOM: z.coerce.number().min(0).max(0.5).default(0.02),
  SYNCLINE_APP_PACED: z.enum(["true", "false"]).default("true"),
});

/** Reads the environment into one validated config object; throws with every problem listed. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = EnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`);
    throw new Error(`Invalid configuration:\n  ${problems.join("\n  ")}`);
  }
  const e = parsed.data;
  const dataDir = path.resolve(e.SYNCLINE_DATA_DIR);
  return {
    env: e.NODE_ENV,
    host: e.HOST,
    port: e.PORT,
    dataDir,
    database: e.DATABASE_URL
      ? { kind: "postgres", url: e.DATABASE_URL }
      : { kind: "pglite", dir: path.join(dataDir, "pglite") },
    redis: { url: e.REDIS_URL ?? "redis://127.0.0.1:6379", embedded: e.REDIS_URL === undefined },
    redisPrefix: e.SYNCLINE_REDIS_PREFIX,
    live: {
      stateIntervalMs: e.SYNCLINE_LIVE_STATE_INTERVAL_MS,
      bufferLimit: e.SYNCLINE_LIVE_BUFFER,
      stateMaxAgeMs: 1000,
      closeGraceMs: e.SYNCLINE_LIVE_CLOSE_GRACE_MS,
    },
    encryptionKey: resolveEncryptionKey(e.SYNCLINE_ENCRYPTION_KEY, e.NODE_ENV, dataDir),
    logLevel: e.LOG_LEVEL ?? (e.NODE_ENV === "test" ? "silent" : "info"),
    time: timeScale(e.SYNCLINE_MINUTE_MS),
    platformUrls: {
      XPM: e.SYNCLINE_XPM_URL,
      XERO_ACCOUNTING: e.SYNCLINE_XERO_ACCOUNTING_URL,
      PSA: e.SYNCLINE_PSA_URL,
    },
    oauth: {
      publicUrl: e.SYNCLINE_PUBLIC_URL?.replace(/\/+$/, "") ?? null,
      returnUrls: e.SYNCLINE_OAUTH_RETURN_URLS,
      stateTtlMs: e.SYNCLINE_OAUTH_STATE_TTL_SECONDS * 1000,
      refreshMarginSeconds: e.SYNCLINE_TOKEN_REFRESH_MARGIN_SECONDS,
      xero: {
        authorizeUrl: new URL("identity/connect/authorize", slashed(e.SYNCLINE_XERO_LOGIN_URL)).toString(),
        tokenUrl: new URL("connect/token", slashed(e.SYNCLINE_XERO_IDENTITY_URL)).toString(),
        revocationUrl: new URL("connect/revocation", slashed(e.SYNCLINE_XERO_IDENTITY_URL)).toString(),
        connectionsUrl: new URL("connections", slashed(e.SYNCLINE_XERO_CONNECTIONS_URL)).toString(),
      },
      clients: oauthClients({
        // One Xero app may serve both Xero APIs; a platform's own pair overrides it.
        XPM: [
          e.SYNCLINE_XPM_CLIENT_ID ?? e.SYNCLINE_XERO_CLIENT_ID,
          e.SYNCLINE_XPM_CLIENT_SECRET ?? e.SYNCLINE_XERO_CLIENT_SECRET,
        ],
        XERO_ACCOUNTING: [
          e.SYNCLINE_XERO_ACCOUNTING_CLIENT_ID ?? e.SYNCLINE_XERO_CLIENT_ID,
          e.SYNCLINE_XERO_ACCOUNTING_CLIENT_SECRET ?? e.SYNCLINE_XERO_CLIENT_SECRET,
        ],
      }),
    },
    webhooks: {
      allowPrivateTargets: e.SYNCLINE_WEBHOOKS_ALLOW_PRIVATE_TARGETS === "true",
      timeoutMs: e.SYNCLINE_WEBHOOK_TIMEOUT_MS,
      pollIntervalMs: e.SYNCLINE_WEBHOOK_POLL_MS,
      concurrency: e.SYNCLINE_WEBHOOK_CONCURRENCY,
    },
    retention: {
      webhookDays: e.SYNCLINE_WEBHOOK_RETENTION_DAYS,
      tombstoneDays: e.SYNCLINE_TOMBSTONE_RETENTION_DAYS,
    },
    observability: {
      metricsPort: e.SYNCLINE_METRICS_PORT ?? null,
      otlpTracesUrl: e.SYNCLINE_OTLP_TRACES_URL ?? null,
    },
    engine: {
      workerConcurrency: e.SYNCLINE_WORKER_CONCURRENCY,
      callTimeoutMs: e.SYNCLINE_CALL_TIMEOUT_MS,
      heartbeatLapseMs: e.SYNCLINE_HEARTBEAT_LAPSE_MS,
      sweepIntervalMs: e.SYNCLINE_SWEEP_INTERVAL_MS,
      windowGuardMs: e.SYNCLINE_WINDOW_GUARD_MS,
      parkAfterMs: e.SYNCLINE_PARK_AFTER_MS,
      restingActivations: e.SYNCLINE_RESTING_ACTIVATIONS,
      apps: {
        perMinute: e.SYNCLINE_XERO_APP_PER_MINUTE ? { xero: e.SYNCLINE_XERO_APP_PER_MINUTE } : {},
        laneHeadroom: e.SYNCLINE_APP_LANE_HEADROOM,
        paced: e.SYNCLINE_APP_PACED === "true",
      },
    },
  };
}

/** A base URL ending in "/", so relative paths resolve under it. */
function slashed(url: string): string {
  return url.endsWith("/") ? url : `${url}/`;
}

/** The configured OAuth apps: a platform with both a client id and a secret. */
function oauthClients(
  pairs: Partial<Record<PlatformKey, [string | undefined, string | undefined]>>,
): OAuthConfig["clients"] {
  const clients: OAuthConfig["clients"] = {};
  for (const [platform, [clientId, clientSecret]] of Object.entries(pairs) as [
    PlatformKey,
    [string | undefined, string | undefined],
  ][]) {
    if (clientId && clientSecret) clients[platform] = { clientId, clientSecret };
  }
  return clients;
}

/**
 * The key must be given in production. Elsewhere, a key is generated once and kept under the data
 * directory, so the embedded default works on a fresh clone and survives restarts.
 */
function resolveEncryptionKey(given: string | undefined, env: Config["env"], dataDir: string): Buffer {
  if (given) return decodeKey(given, "SYNCLINE_ENCRYPTION_KEY");
  if (env === "production") {
    throw new Error(
      "Invalid configuration:\n  SYNCLINE_ENCRYPTION_KEY: required in production (32 bytes, base64)",
    );
  }
  const keyFile = path.join(dataDir, "encryption.key");
  if (existsSync(keyFile)) return decodeKey(readFileSync(keyFile, "utf8").trim(), keyFile);
  mkdirSync(dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(keyFile, `${key.toString("base64")}\n`, { mode: 0o600 });
  return key;
}

function decodeKey(value: string, source: string): Buffer {
  const key = Buffer.from(value, "base64");
  if (key.length !== 32)
    throw new Error(`Invalid configuration:\n  ${source}: must be 32 bytes, base64-encoded`);
  return key;
}

/** Parses `--role api --role worker` or `--role api,worker`; no flag means every role. */
export function parseRoles(argv: string[]): Role[] {
  const asked: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--role" || arg === "--roles") asked.push(...(argv[++i] ?? "").split(","));
    else if (arg.startsWith("--role=")) asked.push(...arg.slice("--role=".length).split(","));
  }
  const roles = asked.map((r) => r.trim()).filter(Boolean);
  if (roles.length === 0) return [...ROLES];
  const unknown = roles.filter((r) => !(ROLES as readonly string[]).includes(r));
  if (unknown.length > 0)
    throw new Error(`Unknown role(s): ${unknown.join(", ")}. Roles are ${ROLES.join(", ")}.`);
  return [...new Set(roles)] as Role[];
}
