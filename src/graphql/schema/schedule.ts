import { prisma } from "../../db/client.ts";
import { type ScheduledSync, syncSchedule } from "../../sync/schedules.ts";
import { builder } from "../builder.ts";
import { SyncKindEnum } from "./enums.ts";

/** When an integration last synced and when it syncs next, as a monitor shows it beside its status. */

const ScheduledSyncRef = builder.objectRef<ScheduledSync>("ScheduledSync").implement({
  description: "A scheduled kind of sync and when it is next due.",
  fields: (t) => ({
    kind: t.field({
      type: SyncKindEnum,
      description: "The kind the scheduler queues.",
      resolve: (s) => s.kind,
    }),
    dueAt: t.field({
      type: "DateTime",
      description: "When it is due (in the past: the scheduler queues it on its next sweep).",
      resolve: (s) => s.dueAt,
    }),
  }),
});

builder.prismaObjectFields("Integration", (t) => ({
  lastSyncRun: t.prismaField({
    type: "SyncRun",
    nullable: true,
    description: "The sync run that ended last (any kind, any final status), or null if none has ended.",
    resolve: (query, integration) =>
      prisma().syncRun.findFirst({
        ...query,
        where: { integrationId: integration.id, finishedAt: { not: null } },
        orderBy: [{ finishedAt: "desc" }, { id: "desc" }],
      }),
  }),
  nextSyncs: t.field({
    type: [ScheduledSyncRef],
    description:
      "The scheduled syncs ahead, soonest first (empty for one-off integrations and those paused, disconnected or waiting for authorization).",
    select: {
      id: true,
      platform: true,
      syncMode: true,
      status: true,
      connectedAt: true,
      createdAt: true,
      tenant: { select: { timeZone: true } },
    },
    resolve: async (integration, _args, ctx) =>
      (await syncSchedule(prisma(), ctx.services.config.time, integration)).sort(
        (a, b) => a.dueAt.getTime() - b.dueAt.getTime(),
      ),
  }),
}));
