import type { Config } from "../config.ts";
import { PLATFORMS, type PlatformKey } from "../platforms/catalog.ts";
import { type IdentityContext, XERO_OAUTH_PLATFORMS } from "../platforms/xero-oauth.ts";

/**
 * Which platforms authorize through OAuth (both Xero APIs) and which connect with API keys (the PSA),
 * and the identity service a platform's tokens come from, with the app configured for it.
 */

/** Whether the platform is connected through its authorization page (OAuth 2.0), not with API keys. */
export function authorizesWithOAuth(platform: PlatformKey): boolean {
  return XERO_OAUTH_PLATFORMS[platform] !== undefined;
}

/** The identity service of an OAuth platform with a configured app, or null. */
export function identityFor(
  config: Pick<Config, "oauth" | "time" | "engine">,
  platform: PlatformKey,
): IdentityContext | null {
  const app = config.oauth.clients[platform];
  if (!authorizesWithOAuth(platform) || !app) return null;
  return { endpoints: config.oauth.xero, app, time: config.time, timeoutMs: config.engine.callTimeoutMs };
}

/** The platform's name for messages. */
export function platformName(platform: PlatformKey): string {
  return PLATFORMS[platform].name;
}
