import type { IncomingMessage, ServerResponse } from "node:http";
import type { ConnectionDeps } from "../commands/connection-deps.ts";
import { type CallbackResult, finishAuthorization } from "../commands/finish-authorization.ts";
import { logger } from "../logger.ts";
import { globalId } from "./ids.ts";

/**
 * The connect flow's callback, an HTTP route on the API server (GET /oauth/callback?code&state): the
 * platform sends the user's browser here after the authorization page. The outcome goes to the host's
 * return URL (303, with `connection`, `status`, and `integration` or `error` in its query), or, when the
 * connection named none, onto a small page of syncline's own. A missing, unknown, reused or expired state
 * changes nothing and gets a page that says why (never a redirect: such a state names no return URL).
 */
export function oauthCallbackRoute(deps: () => ConnectionDeps) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.method !== "GET") {
      res.writeHead(405, { allow: "GET" }).end();
      return;
    }
    const query = new URL(req.url ?? "/", "http://callback").searchParams;
    let result: CallbackResult;
    try {
      result = await finishAuthorization(deps(), {
        state: query.get("state"),
        code: query.get("code"),
        error: query.get("error"),
      });
    } catch (err) {
      logger.error({ err }, "connect callback failed");
      return page(
        res,
        500,
        "Something went wrong",
        "syncline could not complete the connection. Start it again.",
      );
    }
    respond(res, result);
  };
}

const REFUSALS = {
  missing: "This link carries no authorization state.",
  unknown: "This link's authorization state is not one syncline handed out.",
  used: "This authorization link was already used. Start the connection again.",
  expired: "This authorization link has expired. Start the connection again.",
} as const;

function respond(res: ServerResponse, result: CallbackResult): void {
  if (result.kind === "refused") {
    page(res, 400, "Connection refused", REFUSALS[result.reason]);
    return;
  }
  const connection = globalId("ConnectionFlow", result.connectionId);
  const integration = result.kind === "connected" ? globalId("Integration", result.integrationId) : null;
  if (result.returnUrl) {
    const target = new URL(result.returnUrl);
    target.searchParams.set("connection", connection);
    target.searchParams.set("status", STATUS[result.kind]);
    if (integration) target.searchParams.set("integration", integration);
    if (result.kind === "failed") target.searchParams.set("error", result.message);
    res.writeHead(303, { location: target.toString(), "cache-control": "no-store" }).end();
    return;
  }
  if (result.kind === "connected") {
    page(res, 200, "Connected", "The integration is connected and syncing. You can close this window.", {
      connection,
      integration: integration!,
    });
  } else if (result.kind === "chooseOrganisation") {
    page(
      res,
      200,
      "Choose an organisation",
      "You authorized several organisations: choose one in the application (chooseOrganisation).",
      { connection },
    );
  } else {
    page(res, 400, "Not connected", result.message, { connection });
  }
}

/** The `status` a return URL gets. */
const STATUS = {
  connected: "connected",
  chooseOrganisation: "choose_organisation",
  failed: "failed",
} as const;

function page(
  res: ServerResponse,
  status: number,
  title: string,
  message: string,
  ids: Record<string, string> = {},
): void {
  const details = Object.entries(ids)
    .map(([name, id]) => `<dt>${escapeHtml(name)}</dt><dd><code>${escapeHtml(id)}</code></dd>`)
    .join("");
  const body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · syncline</title></head>
<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${details ? `<dl>${details}</dl>` : ""}</body></html>`;
  res
    .writeHead(status, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": "default-src 'none'",
    })
    .end(body);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
