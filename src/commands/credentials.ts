import { z } from "zod";
import type { Config } from "../config.ts";
import { sealCredentials } from "../connections/token-set.ts";
import type { SealedCredentials } from "../integrations/lifecycle.ts";
import { credential, instant } from "./validate.ts";

/** Credentials for a remote platform, as connect and reconnect take them. */
export const Credentials = z.object({
  accessToken: credential(),
  refreshToken: credential().nullish(),
  expiresAt: instant.nullish(),
});

/** Encrypted at rest (never returned); the expiry, not a secret, beside them so refreshes find it. */
export function encryptCredentials(
  config: Pick<Config, "encryptionKey">,
  credentials: z.output<typeof Credentials>,
): SealedCredentials {
  return {
    credentialsEncrypted: sealCredentials(config.encryptionKey, {
      accessToken: credentials.accessToken,
      refreshToken: credentials.refreshToken ?? null,
      expiresAt: credentials.expiresAt?.toISOString() ?? null,
    }),
    accessTokenExpiresAt: credentials.expiresAt ?? null,
  };
}
