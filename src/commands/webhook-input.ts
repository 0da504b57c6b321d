import { z } from "zod";
import { WebhookEventType } from "../generated/prisma/enums.ts";

/** The rules of a webhook endpoint's fields, shared by registering and changing one. */
export const EVENTS = z
  .array(z.enum(Object.values(WebhookEventType) as [WebhookEventType, ...WebhookEventType[]]))
  .min(1, "choose at least one event")
  .transform((events) => [...new Set(events)]);
export const URL_TEXT = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(2000, "must be at most 2,000 characters");
export const DESCRIPTION = z.string().trim().max(500, "must be at most 500 characters");
