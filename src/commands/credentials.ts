import { z } from "zod";
import { encryptSecret } from "../auth/secrets.ts";
import type { Config } from "../config.ts";

/** Credentials for a remote platform, as connect and reconnect take them. */
export const Credentials = z.object({
  accessToken: z.string().trim().min(1, "must not be empty"),
  refreshToken: z.string().trim().min(1, "must not be empty").nullish(),
  expiresAt: z.date().nullish(),
});

/** Encrypted at rest; they are never returned. */
export function encryptCredentials(
  config: Pick<Config, "encryptionKey">,
  credentials: z.output<typeof Credentials>,
) {
  return encryptSecret(config.encryptionKey, JSON.stringify(credentials));
}
