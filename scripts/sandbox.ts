import { startXpmSandbox } from "../src/sandbox/xpm/server.ts";

/**
 * `npm run sandbox`: a stand-in Xero Practice Manager on PORT (default 4100) with one seeded practice,
 * so syncline can be tried without a Xero account:
 *   SYNCLINE_XPM_URL=http://127.0.0.1:4100/ npm start
 * then connect an XPM integration with remoteTenantId "demo-practice" and any access token.
 */
const port = Number(process.env.PORT ?? 4100);
const minuteMs = Number(process.env.SYNCLINE_MINUTE_MS ?? 60_000);
const sandbox = await startXpmSandbox({
  port,
  minuteMs,
  tenants: { "demo-practice": { clients: 200, jobs: 120, staff: 8, timeEntries: 1000 } },
});
console.log(`XPM sandbox listening at ${sandbox.url} (practice "demo-practice"; a minute is ${minuteMs} ms)`);
const stop = async () => {
  await sandbox.close();
  process.exit(0);
};
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
