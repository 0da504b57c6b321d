import { NotFoundError } from "../errors.ts";
import { type Actor, type CommandDeps, runCommand, type Target } from "./command.ts";

/** Deletes one of the tenant's mapping rules. */
export function deleteMappingRule(deps: CommandDeps, viewer: Actor, target: Target): Promise<void> {
  return runCommand(deps, async (tx) => {
    const { count } = await tx.mappingRule.deleteMany({
      where: { id: target.id, integration: { tenantId: viewer.tenantId } },
    });
    if (count === 0) throw new NotFoundError("MappingRule", target.globalId);
    return { result: undefined };
  });
}
