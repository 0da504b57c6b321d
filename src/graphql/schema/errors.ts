import {
  BaseError,
  ContinuousConnectionLimitError,
  CursorExpiredError,
  type FieldIssue,
  ForbiddenError,
  InvalidStateError,
  MAX_ISSUES,
  NotFoundError,
  PlatformError,
  RateLimitedError,
  ValidationError,
} from "../../errors.ts";
import { builder } from "../builder.ts";
import { PlatformKeyEnum } from "./enums.ts";

/** The GraphQL side of src/errors.ts: one object type per domain error. */

export const ErrorInterface = builder.interfaceRef<Error>("Error").implement({
  description:
    "Something a mutation or lookup could not do, returned as data so clients can handle it by type.",
  fields: (t) => ({
    message: t.exposeString("message", { description: "What went wrong, for people." }),
  }),
});

builder.objectType(BaseError, {
  name: "BaseError",
  description: "A domain error without a more specific type.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof BaseError,
});

builder.objectType(NotFoundError, {
  name: "NotFoundError",
  description: "The id names nothing your tenant can see (it may not exist, or belong to another tenant).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof NotFoundError,
  fields: (t) => ({
    resourceType: t.exposeString("typename", { description: "The type that was looked up." }),
    resourceId: t.exposeString("id", { description: "The id that was not found." }),
  }),
});

export const FieldIssueRef = builder.objectRef<FieldIssue>("FieldIssue").implement({
  description: "One problem with one input field.",
  fields: (t) => ({
    path: t.exposeStringList("path", { description: 'Path of the field, e.g. ["input", "name"].' }),
    message: t.exposeString("message", { description: "What is wrong with it." }),
  }),
});

builder.objectType(ValidationError, {
  name: "ValidationError",
  description: "The input was invalid; nothing was changed.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ValidationError,
  fields: (t) => ({
    issues: t.field({
      type: [FieldIssueRef],
      description: `Every problem found, each with the path of its field (at most ${MAX_ISSUES}).`,
      resolve: (error) => error.issues,
    }),
  }),
});

builder.objectType(ForbiddenError, {
  name: "ForbiddenError",
  description: "Your role may not do this; nothing was changed.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ForbiddenError,
  fields: (t) => ({
    requiredRoles: t.exposeStringList("requiredRoles", { description: "Roles that may do it." }),
  }),
});

builder.objectType(InvalidStateError, {
  name: "InvalidStateError",
  description: "The object's current state does not allow this; nothing was changed.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof InvalidStateError,
  fields: (t) => ({
    currentState: t.exposeString("currentState", { description: "The state the object is in." }),
  }),
});

builder.objectType(ContinuousConnectionLimitError, {
  name: "ContinuousConnectionLimitError",
  description:
    "The tenant already holds the platform's maximum of continuous connections (e.g. 25 for an uncertified Xero app).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof ContinuousConnectionLimitError,
  fields: (t) => ({
    platformKey: t.field({
      type: PlatformKeyEnum,
      description: "The platform whose limit is reached.",
      resolve: (error) => error.platform,
    }),
    limit: t.exposeInt("limit", { description: "The limit." }),
    current: t.exposeInt("current", { description: "Continuous connections the tenant holds now." }),
  }),
});

builder.objectType(RateLimitedError, {
  name: "RateLimitedError",
  description:
    "The platform's caps for this integration allow no call now (e.g. its day budget is spent); nothing was read.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof RateLimitedError,
  fields: (t) => ({
    retryAfterSeconds: t.exposeFloat("retryAfterSeconds", { description: "When to try again, in seconds." }),
  }),
});

builder.objectType(PlatformError, {
  name: "PlatformError",
  description: "The platform failed or refused a live read (its HTTP status, when it answered).",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof PlatformError,
  fields: (t) => ({
    httpStatus: t.exposeInt("status", { nullable: true, description: "The platform's HTTP status, if any." }),
  }),
});

builder.objectType(CursorExpiredError, {
  name: "CursorExpiredError",
  description:
    "The records cursor is older than the deletions kept (tombstones are pruned after a retention): read again without `after` (a zero cursor) to resync.",
  interfaces: [ErrorInterface],
  isTypeOf: (value) => value instanceof CursorExpiredError,
  fields: (t) => ({
    code: t.exposeString("code", { description: "Always CURSOR_EXPIRED." }),
    entity: t.exposeString("entity", { description: "The entity whose cursor expired." }),
    prunedAt: t.field({
      type: "DateTime",
      description: "When the entity's tombstones were last pruned.",
      resolve: (error) => error.prunedAt,
    }),
  }),
});

/** Error sets used by the fields of each kind. */
export const LOOKUP_ERRORS = [NotFoundError, ValidationError];
export const MUTATION_ERRORS = [ValidationError, NotFoundError, ForbiddenError, InvalidStateError];
