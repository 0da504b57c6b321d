import { z } from "zod";
import { validate } from "../../commands/validate.ts";
import { prisma } from "../../db/client.ts";
import { InvalidStateError, PlatformError, RateLimitedError, ValidationError } from "../../errors.ts";
import { hasNextPage } from "../../platforms/http.ts";
import {
  MAX_TICKETS_PER_PAGE,
  parseTickets,
  type Ticket,
  type TicketFilter,
  ticketRequest,
} from "../../platforms/psa/tickets.ts";
import { builder } from "../builder.ts";

/**
 * `integration.tickets`: PSA tickets read live on every request through the INTERACTIVE lane (above
 * queued pulls and exports, under the same caps) and never stored (PLATFORMS.md, "PSA").
 */

const TicketRef = builder.objectRef<Ticket>("Ticket").implement({
  description: "A PSA service ticket as the platform returned it just now (tickets are never stored).",
  fields: (t) => ({
    remoteId: t.exposeString("remoteId", { description: "The ticket's id on the platform." }),
    summary: t.exposeString("summary", { description: "One-line summary." }),
    boardName: t.exposeString("boardName", { nullable: true, description: "Service board." }),
    statusName: t.exposeString("statusName", { nullable: true, description: "Status on its board." }),
    priorityName: t.exposeString("priorityName", { nullable: true, description: "Priority." }),
    companyName: t.exposeString("companyName", { nullable: true, description: "The customer company." }),
    contactName: t.exposeString("contactName", { nullable: true, description: "The customer contact." }),
    severity: t.exposeString("severity", { nullable: true, description: "Severity (Low, Medium, High)." }),
    impact: t.exposeString("impact", { nullable: true, description: "Impact (Low, Medium, High)." }),
    closed: t.exposeBoolean("closed", { description: "Whether the ticket is closed." }),
    enteredAt: t.expose("enteredAt", {
      type: "DateTime",
      nullable: true,
      description: "When it was opened.",
    }),
    updatedAt: t.expose("updatedAt", {
      type: "DateTime",
      nullable: true,
      description: "When it last changed on the platform.",
    }),
  }),
});

const TicketConnection = builder.connectionObject(
  { type: TicketRef, name: "TicketConnection", description: "A page of live tickets, newest first." },
  { name: "TicketEdge", description: "One live ticket of a page, with its cursor." },
);

const TicketFilterInput = builder.inputType("TicketFilter", {
  description: "Which tickets to read; all given conditions must hold.",
  fields: (t) => ({
    boardId: t.int({ required: false, description: "Only this service board (the platform's board id)." }),
    statusName: t.string({ required: false, description: 'Only this status, e.g. "New".' }),
    priorityName: t.string({ required: false, description: "Only this priority." }),
    companyId: t.int({ required: false, description: "Only this company (the platform's company id)." }),
    closed: t.boolean({ required: false, description: "Only closed (true) or open (false) tickets." }),
    summaryContains: t.string({ required: false, description: "Summary contains this text." }),
    updatedSince: t.field({
      type: "DateTime",
      required: false,
      description: "Only tickets changed after this time.",
    }),
  }),
});

/** Text that goes into the platform's condition language inside double quotes. */
const conditionText = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  .regex(/^[^"\\]*$/, 'must not contain " or \\');

const Filter = z.object({
  boardId: z.number().int().positive().nullish(),
  statusName: conditionText.nullish(),
  priorityName: conditionText.nullish(),
  companyId: z.number().int().positive().nullish(),
  closed: z.boolean().nullish(),
  summaryContains: conditionText.nullish(),
  updatedSince: z.date().nullish(),
});

const Paging = z.object({
  first: z
    .number()
    .int()
    .min(1, "must be at least 1")
    .max(MAX_TICKETS_PER_PAGE, `must be at most ${MAX_TICKETS_PER_PAGE}`),
  after: z
    .string()
    .regex(/^\d{1,6}$/, "is not a cursor from this connection")
    .nullish(),
});

const cursorOf = (offset: number) => String(offset);

builder.prismaObjectFields("Integration", (t) => ({
  tickets: t.field({
    type: TicketConnection,
    description:
      "PSA tickets, read from the platform on each request through the INTERACTIVE lane and never stored. " +
      "Newest first; page with `first` and `after`.",
    errors: {
      types: [ValidationError, InvalidStateError, RateLimitedError, PlatformError],
      directResult: true,
      union: { description: "The result of tickets: a page of live tickets, or a typed error." },
    },
    select: { id: true },
    args: {
      filter: t.arg({ type: TicketFilterInput, required: false, description: "Which tickets." }),
      first: t.arg.int({
        required: false,
        description: `Page size, 1 to ${MAX_TICKETS_PER_PAGE} (default 25).`,
      }),
      after: t.arg.string({ required: false, description: "Read after this cursor (a page's endCursor)." }),
    },
    resolve: async (parent, args, ctx) => {
      const filter: TicketFilter = validate(Filter, args.filter ?? {}, ["filter"]);
      const paging = validate(Paging, { first: args.first ?? 25, after: args.after }, []);
      const integration = await prisma().integration.findUniqueOrThrow({ where: { id: parent.id } });
      if (integration.platform !== "PSA")
        throw new InvalidStateError("Tickets are read from PSA integrations only", integration.platform);
      if (
        integration.status === "DISCONNECTED" ||
        integration.status === "PAUSED" ||
        integration.status === "NEEDS_AUTHORIZATION"
      )
        throw new InvalidStateError(
          integration.status === "NEEDS_AUTHORIZATION"
            ? "The integration waits to be authorized again"
            : `The integration is ${integration.status.toLowerCase()}`,
          integration.status,
        );
      const offset = paging.after ? Number(paging.after) + 1 : 0;
      if (offset % paging.first !== 0 && offset + paging.first > 1000)
        throw ValidationError.at(["after"], "pass `first` unchanged when paging this far");
      const { request, skip } = ticketRequest(filter, offset, paging.first);
      const outcome = await ctx.services.engine.live.read(integration, request);
      switch (outcome.kind) {
        case "ok": {
          const tickets = parseTickets(outcome.body).slice(skip);
          return {
            edges: tickets.map((node, i) => ({ cursor: cursorOf(offset + i), node })),
            pageInfo: {
              hasNextPage: hasNextPage(outcome.headers),
              hasPreviousPage: offset > 0,
              startCursor: tickets.length > 0 ? cursorOf(offset) : null,
              endCursor: tickets.length > 0 ? cursorOf(offset + tickets.length - 1) : null,
            },
          };
        }
        case "busy":
        case "rateLimited":
          throw new RateLimitedError(Math.ceil(ctx.services.config.time.msToSeconds(outcome.retryAfterMs)));
        case "retryable":
          throw new PlatformError(`The platform did not answer: ${outcome.message}`, outcome.status);
        case "rejected":
          throw new PlatformError(`The platform refused the read: ${outcome.message}`, outcome.status);
        case "unauthorized":
          throw new InvalidStateError(
            "The platform no longer accepts this integration's credentials: connect it again",
            "NEEDS_AUTHORIZATION",
          );
      }
    },
  }),
}));
