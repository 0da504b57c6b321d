/**
 * The layers of syncline (DESIGN.md, "Layers"), checked by `npm run check`:
 *   platforms ← engine ← domain (sync, push, integrations, settings, records, webhooks, connections) ← commands ← graphql
 * An arrow points at what may be imported: a layer imports only from layers to its left, and from the
 * shared base (config, logger, errors, events, time, redact, db, redis, auth, generated, observability), which imports none
 * of the layers. The composition root (main, app, work, cli) may import anything; the sandboxes are
 * stand-in platforms and import nothing of syncline's layers.
 */
const LAYERS = {
  platforms: "^src/platforms/",
  engine: "^src/engine/",
  domain: "^src/(sync|push|integrations|settings|records|webhooks|connections)/",
  commands: "^src/commands/",
  graphql: "^src/graphql/",
};
const BASE =
  "^src/(config|logger|errors|events|time|redact)[.]ts$|^src/(db|redis|auth|generated|observability)/";
const ROOT = "^src/(main|app|work|cli)[.]ts$";

const forbid = (name, from, to, comment) => ({
  name,
  comment,
  severity: "error",
  from: { path: from },
  to: { path: to },
});

module.exports = {
  forbidden: [
    forbid(
      "platforms-at-the-bottom",
      LAYERS.platforms,
      [LAYERS.engine, LAYERS.domain, LAYERS.commands, LAYERS.graphql, ROOT, "^src/sandbox/"],
      "A connector knows only its platform: it imports nothing from the engine, the domain or above.",
    ),
    forbid(
      "engine-knows-no-domain",
      LAYERS.engine,
      [LAYERS.domain, LAYERS.commands, LAYERS.graphql, ROOT, "^src/sandbox/"],
      "The engine serves work sources; it must not know pulls, pushes or exports by name.",
    ),
    forbid(
      "domain-below-commands",
      LAYERS.domain,
      [LAYERS.commands, LAYERS.graphql, ROOT, "^src/sandbox/"],
      "The domain is called by commands and the engine's work sources, never the other way round.",
    ),
    forbid(
      "commands-below-graphql",
      LAYERS.commands,
      [LAYERS.graphql, ROOT, "^src/sandbox/"],
      "Commands know nothing of GraphQL.",
    ),
    forbid(
      "base-imports-no-layer",
      BASE,
      [LAYERS.engine, LAYERS.domain, LAYERS.commands, LAYERS.graphql, ROOT, "^src/sandbox/"],
      "The shared base sits below every layer (platforms' catalog is the one layer it may read).",
    ),
    forbid(
      "sandboxes-stand-apart",
      "^src/sandbox/",
      [LAYERS.engine, LAYERS.domain, LAYERS.commands, LAYERS.graphql, ROOT],
      "Stand-in platforms are written from the platforms' contracts, not from syncline's code.",
    ),
    {
      name: "no-circular",
      severity: "error",
      comment: "Import cycles hide which module depends on which.",
      from: { path: "^src/" },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    exclude: { path: "^src/generated/" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["import", "require", "node", "default"],
      extensions: [".ts", ".js", ".json"],
    },
  },
};
