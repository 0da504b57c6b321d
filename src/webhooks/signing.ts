import { randomBytes } from "node:crypto";
import { Webhook } from "standardwebhooks";

/**
 * Webhook signatures, as the Standard Webhooks specification defines them (the scheme of the well-known
 * senders): `webhook-signature: v1,<base64 HMAC-SHA256(secret, "<webhook-id>.<webhook-timestamp>.<body>")>`,
 * so a receiver checks the body and the timestamp together with any Standard Webhooks library, and refuses
 * a timestamp more than five minutes from its clock (a replay of an old delivery).
 */

/** A new signing secret: `whsec_` and 32 random bytes, base64. Shown once; stored encrypted. */
export function generateSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

/** The headers of one delivery: its event id, the time of sending, and the signature over both and the body. */
export function signedHeaders(secret: string, eventId: string, body: string, at = new Date()) {
  return {
    "webhook-id": eventId,
    "webhook-timestamp": String(Math.floor(at.getTime() / 1000)),
    "webhook-signature": new Webhook(secret).sign(eventId, at, body),
  };
}
