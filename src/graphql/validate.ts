import type { z } from "zod";
import { prisma } from "../db/client.ts";
import { NotFoundError, ValidationError } from "../errors.ts";
import type { Viewer } from "./context.ts";
import { parseGlobalId } from "./ids.ts";

/** Parses input with a zod schema; every issue becomes a field path under `basePath`. */
export function validate<S extends z.ZodType>(
  schema: S,
  value: unknown,
  basePath: string[] = ["input"],
): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues.map((issue) => ({
      path: [...basePath, ...issue.path.map(String)],
      message: issue.message,
    })),
  );
}

/** The viewer of a field behind the `member` scope (scope-auth has already rejected anonymous calls). */
export function viewerOf(ctx: { viewer: Viewer | null }): Viewer {
  if (!ctx.viewer) throw new Error("viewerOf called on a field without the member scope");
  return ctx.viewer;
}

/**
 * The database id of one of the viewer's integrations, from its global id, for subscriptions (which
 * check ownership once, when they start). Throws ValidationError or NotFoundError.
 */
export async function ownIntegrationId(
  ctx: { viewer: Viewer | null },
  globalIdValue: string,
): Promise<string> {
  const id = parseGlobalId(globalIdValue, "Integration", ["integrationId"]);
  const owned = await prisma().integration.findFirst({
    where: { id, tenantId: viewerOf(ctx).tenantId },
    select: { id: true },
  });
  if (!owned) throw new NotFoundError("Integration", globalIdValue);
  return id;
}
