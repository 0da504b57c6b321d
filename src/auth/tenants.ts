import type { PrismaClient } from "../generated/prisma/client.ts";
import type { Role } from "../generated/prisma/enums.ts";
import { generateToken, hashToken } from "./secrets.ts";

export interface IssuedToken {
  tenantId: string;
  memberId: string;
  token: string;
}

/** Creates a tenant with its settings row and an OWNER member, and issues that member a token. */
export async function createTenant(
  prisma: PrismaClient,
  input: { name: string; timeZone?: string; ownerName?: string; ownerEmail?: string },
): Promise<IssuedToken> {
  const name = input.name.trim();
  if (!name) throw new Error("Tenant name must not be empty");
  const token = generateToken();
  const tenant = await prisma.tenant.create({
    data: {
      name,
      timeZone: input.timeZone ?? "UTC",
      settings: { create: {} },
      members: {
        create: {
          name: input.ownerName ?? "Owner",
          email: input.ownerEmail ?? null,
          role: "OWNER",
          tokens: { create: { tokenHash: hashToken(token), label: "initial" } },
        },
      },
    },
    include: { members: true },
  });
  return { tenantId: tenant.id, memberId: tenant.members[0]!.id, token };
}

/** Adds a member with the given role to a tenant and issues a token for them. */
export async function addMember(
  prisma: PrismaClient,
  input: { tenantId: string; name: string; role: Role; email?: string },
): Promise<IssuedToken> {
  const token = generateToken();
  const member = await prisma.member.create({
    data: {
      tenantId: input.tenantId,
      name: input.name,
      role: input.role,
      email: input.email ?? null,
      tokens: { create: { tokenHash: hashToken(token) } },
    },
  });
  return { tenantId: input.tenantId, memberId: member.id, token };
}

/** Issues a new token for an existing member. */
export async function issueToken(prisma: PrismaClient, memberId: string, label = "cli"): Promise<string> {
  const token = generateToken();
  await prisma.apiToken.create({ data: { memberId, tokenHash: hashToken(token), label } });
  return token;
}

/** The member a bearer token acts as, or null for an unknown or revoked token. */
export async function memberForToken(prisma: PrismaClient, token: string) {
  const row = await prisma.apiToken.findUnique({
    where: { tokenHash: hashToken(token) },
    include: { member: true },
  });
  if (!row || row.revokedAt) return null;
  return row.member;
}
