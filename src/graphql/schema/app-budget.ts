import type { AppBudgetSnapshot } from "../../engine/rate-limit/budget.ts";
import { appNamed } from "../../engine/rate-limit/limits.ts";
import { builder } from "../builder.ts";
import { BudgetWindowRef, RateBudgetRef } from "./export.ts";

/**
 * The app-wide cap's window beside an integration's own budget. An app is shared by every tenant of the
 * deployment, so it is shown as figures only: never another tenant's integration ids.
 */

const AppBudgetRef = builder.objectRef<AppBudgetSnapshot>("AppBudget").implement({
  description:
    "The app-wide cap an integration's calls also count against (Xero: 10,000 calls a minute for one app, shared by every XPM and Xero Accounting integration of every tenant of this deployment), as figures: how full the app's sliding minute is and how many integrations share it now. A call goes out only if it fits both the integration's windows and this one; when it is scarce, higher lanes go first across all integrations and the rest is shared fairly.",
  fields: (t) => ({
    app: t.exposeString("app", { description: 'The app\'s key in the platform catalog (e.g. "xero").' }),
    minute: t.field({
      type: BudgetWindowRef,
      description:
        "The app's sliding minute across all its integrations: syncline's count of the calls it made, raised (never lowered) to what the platform's X-AppMinLimit-Remaining says was used; the limit is this deployment's figure for the app.",
      resolve: (a) => a.minute,
    }),
    activeIntegrations: t.exposeInt("active", {
      description:
        "Integrations (of any tenant) that asked for the app's budget within its window: the app's minute divided by them is each one's fair share.",
    }),
    waitingIntegrations: t.exposeInt("waiting", {
      description:
        "Integrations waiting in the app's line now (refused the app's budget, by lane then arrival).",
    }),
    starvingIntegrations: t.exposeInt("starving", {
      description:
        "Of the waiting integrations, those under their fair share: while one waits, integrations at or over their share (of its lane and the lanes below) hold back.",
    }),
    blockedUntil: t.field({
      type: "DateTime",
      nullable: true,
      description:
        "The platform refused the whole app (a 429 with X-Rate-Limit-Problem: appminute): no call of any of its integrations goes out before this time.",
      resolve: (a) => (a.blockedUntil === null ? null : new Date(a.blockedUntil)),
    }),
  }),
});

builder.objectField(RateBudgetRef, "app", (t) =>
  t.field({
    type: AppBudgetRef,
    nullable: true,
    description:
      "The app-wide window the integration's calls also count against; null for a platform without an app-wide cap (PSA).",
    resolve: (budget, _args, ctx) => {
      const app = budget.app === null ? null : appNamed(budget.app, ctx.services.config.engine.apps);
      return app ? ctx.services.engine.budget.appSnapshot(app, { rebuild: true }) : null;
    },
  }),
);
