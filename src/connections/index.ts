import type { Redis } from "ioredis";
import type { Config } from "../config.ts";
import type { DomainEvent } from "../events.ts";
import type { PrismaClient } from "../generated/prisma/client.ts";
import { redisKeys } from "../redis/keys.ts";
import { IntegrationCredentials } from "./credentials.ts";
import { RefreshLock } from "./refresh-lock.ts";
import { CredentialsRelease } from "./release.ts";

/** Real ms the refresh lock outlives an identity call in flight (which times out first). */
const LOCK_SLACK_MS = 2_000;

/** The path of the callback the platforms send the user's browser back to. */
export const CALLBACK_PATH = "/oauth/callback";

/** What a process keeps for connections: the engine's credentials, releases, and where callbacks land. */
export interface Connections {
  credentials: IntegrationCredentials;
  release: CredentialsRelease;
  /** The redirect URI registered with the platforms: `<public URL>/oauth/callback`. */
  callbackUrl(): string;
  /** The API's own address, for when no public URL is configured (known once it listens). */
  listeningAt(baseUrl: string): void;
}

export function createConnections(deps: {
  prisma: PrismaClient;
  redis: Redis;
  config: Config;
  publish(events: readonly DomainEvent[]): void;
}): Connections {
  const lock = new RefreshLock(deps.redis, deps.config.engine.callTimeoutMs + LOCK_SLACK_MS);
  const credentials = new IntegrationCredentials({ ...deps, lock });
  const release = new CredentialsRelease({
    prisma: deps.prisma,
    config: deps.config,
    lock,
    keys: redisKeys(deps.config.redisPrefix),
    forgotten: (integrationId) => credentials.forget(integrationId),
  });
  let base = deps.config.oauth.publicUrl ?? `http://localhost:${deps.config.port}`;
  return {
    credentials,
    release,
    callbackUrl: () => `${base}${CALLBACK_PATH}`,
    listeningAt: (url) => {
      if (!deps.config.oauth.publicUrl) base = new URL(url).origin;
    },
  };
}
