import { decryptSecret, encryptSecret } from "../auth/secrets.ts";

/**
 * An integration's credentials as stored (AES-256-GCM, src/auth/secrets.ts) in its one place, the
 * integration's row: an OAuth token set, or an API key in `accessToken`. `credentialsVersion` on the row
 * moves with every change, so a refresh stores its result only over the set it refreshed.
 */
export interface StoredCredentials {
  /** The OAuth access token, or the API key ("publicKey:privateKey" for the PSA). */
  accessToken: string;
  refreshToken?: string | null;
  /** ISO time the access token expires (also kept, not secret, as the row's accessTokenExpiresAt). */
  expiresAt?: string | null;
  /** The platform's id of the organisation's connection (Xero: for DELETE /connections/{id}). */
  connectionId?: string | null;
  /**
   * Issued by a refresh made because the platform refused the token before it: if the platform refuses
   * this one too, a fresh token does not cure it.
   */
  issuedAfterRefusal?: boolean;
}

export function sealCredentials(key: Buffer, credentials: StoredCredentials): string {
  return encryptSecret(key, JSON.stringify(credentials));
}

/** The stored credentials, or null when none are stored (forgotten on disconnect). */
export function openCredentials(key: Buffer, sealed: string): StoredCredentials | null {
  if (!sealed) return null;
  const value = JSON.parse(decryptSecret(key, sealed)) as Partial<StoredCredentials>;
  if (typeof value.accessToken !== "string" || value.accessToken === "") return null;
  return value as StoredCredentials;
}
