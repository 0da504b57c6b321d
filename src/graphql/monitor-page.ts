import { existsSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import sirv from "sirv";

/** Where the page lives on the API's port. */
export const MONITOR_PATH = "/monitor/";

/** The built page (web/ → `npm run build:web`, run by `npm install`). */
const DIST = fileURLToPath(new URL("../../web/dist", import.meta.url));

/**
 * The live monitor page, served from the API's own port: `/` and `/monitor` lead to `/monitor/`, whose
 * files come from web/dist (hashed assets cached for good, index.html never). The page talks to the same
 * origin's /graphql, so it needs no CORS and no configuration. Returns false for paths it does not own.
 */
export function monitorPage(): (req: IncomingMessage, res: ServerResponse) => boolean {
  const built = existsSync(DIST);
  const serve = built
    ? sirv(DIST, {
        single: true,
        etag: true,
        setHeaders: (res, pathname) => {
          res.setHeader(
            "cache-control",
            pathname.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
          );
        },
      })
    : null;
  return (req, res) => {
    const url = req.url ?? "/";
    if (req.method !== "GET" && req.method !== "HEAD") return false;
    if (url === "/" || url === "/monitor") {
      res.writeHead(302, { location: MONITOR_PATH }).end();
      return true;
    }
    if (!url.startsWith(MONITOR_PATH)) return false;
    res.setHeader("content-security-policy", CSP);
    res.setHeader("x-content-type-options", "nosniff");
    res.setHeader("referrer-policy", "no-referrer");
    if (!serve) {
      res
        .writeHead(503, { "content-type": "text/plain; charset=utf-8" })
        .end("The monitor page is not built: run `npm run build:web` (npm install does it).\n");
      return true;
    }
    req.url = url.slice(MONITOR_PATH.length - 1);
    serve(req, res, () => {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("Not found\n");
    });
    return true;
  };
}

/** The page loads only its own files and talks only to its own origin (HTTP and WebSocket). */
const CSP = [
  "default-src 'self'",
  "connect-src 'self' ws: wss:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "frame-ancestors 'none'",
].join("; ");
