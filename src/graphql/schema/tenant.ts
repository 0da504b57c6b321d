import { prisma } from "../../db/client.ts";
import { builder } from "../builder.ts";
import { viewerOf } from "../context.ts";
import { RoleEnum } from "./enums.ts";

builder.prismaNode("Tenant", {
  id: { field: "id" },
  description: "One customer of the host product; everything in syncline belongs to a tenant.",
  findUnique: (id, ctx) => ({ id, AND: { id: viewerOf(ctx).tenantId } }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Display name." }),
    timeZone: t.exposeString("timeZone", { description: "IANA time zone used for nightly schedules." }),
    createdAt: t.expose("createdAt", { type: "DateTime", description: "When the tenant was created." }),
  }),
});

builder.prismaNode("Member", {
  id: { field: "id" },
  description: "A person in a tenant, with a role.",
  findUnique: (id, ctx) => ({ id, tenantId: viewerOf(ctx).tenantId }),
  fields: (t) => ({
    name: t.exposeString("name", { description: "Display name." }),
    email: t.exposeString("email", { nullable: true, description: "Email address." }),
    role: t.field({ type: RoleEnum, description: "What the member may do.", resolve: (m) => m.role }),
    tenant: t.relation("tenant", { description: "The member's tenant." }),
  }),
});

builder.queryField("viewer", (t) =>
  t.prismaField({
    type: "Member",
    description: "The member the request's token acts as.",
    resolve: (query, _root, _args, ctx) =>
      prisma().member.findUniqueOrThrow({ ...query, where: { id: viewerOf(ctx).memberId } }),
  }),
);
