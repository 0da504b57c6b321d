import {
  authorize,
  awaitChoice,
  claimState,
  completeFlow,
  failFlow,
  organisationFor,
  type StateRefusal,
} from "../connections/flows.ts";
import { BaseError } from "../errors.ts";
import { logger } from "../logger.ts";
import { runCommand } from "./command.ts";
import type { ConnectionDeps } from "./connection-deps.ts";

/** Where a callback left its flow, for the page or the redirect that tells the user. */
export type CallbackResult =
  /** The state was missing, unknown, used before or expired: nothing changed. */
  | { kind: "refused"; reason: StateRefusal }
  | { kind: "failed"; connectionId: string; returnUrl: string | null; message: string }
  | { kind: "chooseOrganisation"; connectionId: string; returnUrl: string | null }
  | { kind: "connected"; connectionId: string; returnUrl: string | null; integrationId: string };

/** What the platform's redirect carries (RFC 6749 §4.1.2). */
export interface CallbackParams {
  state: string | null;
  code: string | null;
  /** Set when the user declined or the platform refused (e.g. `access_denied`). */
  error: string | null;
}

const log = logger.child({ component: "connect-callback" });

/**
 * The platform's callback (the browser's side of the connect flow): uses up the flow's state, exchanges
 * the code for a token set with the flow's PKCE verifier, lists what was granted, and completes the
 * integration (one organisation) or leaves the flow for the client to choose (several). A bad, reused or
 * expired state changes nothing; a refusal fails the flow and says why.
 */
export async function finishAuthorization(
  deps: ConnectionDeps,
  params: CallbackParams,
): Promise<CallbackResult> {
  const claimed = await claimState(deps.prisma, params.state);
  if ("refused" in claimed) return { kind: "refused", reason: claimed.refused };
  const { flow } = claimed;
  const failed = async (message: string): Promise<CallbackResult> => {
    await failFlow(deps.prisma, flow, message);
    log.info({ connectionId: flow.id, platform: flow.platform, message }, "connection failed");
    return { kind: "failed", connectionId: flow.id, returnUrl: flow.returnUrl, message };
  };
  if (params.error || !params.code) {
    return failed(
      params.error === "access_denied"
        ? "The authorization was declined"
        : `The platform did not authorize the connection (${describeError(params.error)})`,
    );
  }
  const authorization = await authorize(deps.config, flow, {
    code: params.code,
    redirectUri: deps.connections.callbackUrl(),
  });
  if (authorization.kind === "failed") return failed(authorization.message);
  const { tokens, organisations } = authorization;
  try {
    return await runCommand<CallbackResult>(deps, async (tx) => {
      const choice = await organisationFor(tx, flow, organisations);
      if (choice.kind === "none") {
        await failFlow(tx, flow, choice.message);
        return {
          result: {
            kind: "failed",
            connectionId: flow.id,
            returnUrl: flow.returnUrl,
            message: choice.message,
          },
        };
      }
      if (choice.kind === "several") {
        await awaitChoice(tx, deps.config, flow, tokens, organisations);
        return { result: { kind: "chooseOrganisation", connectionId: flow.id, returnUrl: flow.returnUrl } };
      }
      const done = await completeFlow(tx, deps.config, flow, choice.organisation, tokens);
      return {
        result: {
          kind: "connected",
          connectionId: flow.id,
          returnUrl: flow.returnUrl,
          integrationId: done.integrationId,
        },
        events: done.events,
        notify: { integrationId: done.integrationId },
      };
    });
  } catch (error) {
    // A domain rule said no (the continuous-connection limit, an organisation already connected): the
    // flow fails with its message. The token set goes unused and is not kept.
    if (error instanceof BaseError) return failed(error.message);
    throw error;
  }
}

/** An OAuth error code as the platform sent it, reduced to its safe characters. */
function describeError(error: string | null): string {
  return (error ?? "no code").replace(/[^a-z0-9_ .-]/gi, "").slice(0, 100) || "unknown error";
}
