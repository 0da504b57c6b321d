import type { Client } from "graphql-ws";
import { useCallback, useEffect, useMemo, useState } from "preact/hooks";
import { type Connection, connect, request, signInCheck, subscribe, tokenStore } from "./client.ts";
import { clock, count, duration, relative, tone } from "./format.ts";
import type {
  BudgetFieldsFragment,
  IntegrationCardFieldsFragment,
  LogFieldsFragment,
  MonitorViewerQuery,
  PacketFieldsFragment,
  QueueFieldsFragment,
  RunFieldsFragment,
  WindowFieldsFragment,
} from "./generated/graphql.ts";
import {
  CancelRunMutation,
  IntegrationRunsQuery,
  IntegrationRunsSubscription,
  IntegrationsQuery,
  PacketStateSubscription,
  PauseMutation,
  QueueProgressSubscription,
  ResumeMutation,
  RetryPacketsMutation,
  RunDetailQuery,
  RunUpdatedSubscription,
  StatusChangedSubscription,
  TriggerSyncMutation,
  ViewerQuery,
} from "./operations.ts";
import { Plot } from "./plot.tsx";

type Viewer = MonitorViewerQuery["viewer"];

/** The page: a sign-in form until a token works, then the monitor over one live connection. */
export function App() {
  const [session, setSession] = useState<{ token: string; viewer: Viewer } | null>(null);
  const [checking, setChecking] = useState(tokenStore.get() !== null);
  const [problem, setProblem] = useState<string | null>(null);

  const signIn = useCallback(async (token: string) => {
    setChecking(true);
    setProblem(null);
    try {
      const { viewer } = await signInCheck(token, ViewerQuery);
      tokenStore.set(token);
      setSession({ token, viewer });
    } catch (error) {
      tokenStore.clear();
      setProblem((error as Error).message);
    } finally {
      setChecking(false);
    }
  }, []);

  useEffect(() => {
    const saved = tokenStore.get();
    if (saved) void signIn(saved);
  }, [signIn]);

  if (!session) return <SignIn busy={checking} problem={problem} onSubmit={(token) => void signIn(token)} />;
  return (
    <Monitor
      token={session.token}
      viewer={session.viewer}
      onSignOut={() => {
        tokenStore.clear();
        setSession(null);
      }}
    />
  );
}

function SignIn(props: { busy: boolean; problem: string | null; onSubmit: (token: string) => void }) {
  const [token, setToken] = useState("");
  return (
    <main class="signin">
      <h1>syncline monitor</h1>
      <p>
        Sign in with an API token (npm start prints the demo tenant's; the CLI's create-token makes more).
      </p>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          if (token.trim()) props.onSubmit(token.trim());
        }}
      >
        <label>
          Token
          <input
            type="password"
            name="token"
            autocomplete="off"
            value={token}
            onInput={(event) => setToken((event.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={props.busy}>
          {props.busy ? "Checking…" : "Sign in"}
        </button>
      </form>
      {props.problem && (
        <p class="problem" role="alert">
          {props.problem}
        </p>
      )}
    </main>
  );
}

// --- live state -------------------------------------------------------------------------------------

interface Point {
  t: number;
  minuteUsed: number;
  minuteLimit: number;
  exportUsed: number;
  exportLimit: number;
  backlog: number;
  runs: number;
}

interface Live {
  card: IntegrationCardFieldsFragment;
  queue: QueueFieldsFragment;
  budget: BudgetFieldsFragment;
  /** When the figures were read (null: from the first load). */
  at: string | null;
  series: Point[];
}

const MAX_POINTS = 3000;

function pointOf(queue: QueueFieldsFragment, budget: BudgetFieldsFragment, at: number): Point {
  return {
    t: at / 1000,
    minuteUsed: budget.minute.used,
    minuteLimit: budget.minute.limit,
    exportUsed: budget.exportMinute.used,
    exportLimit: budget.exportMinute.limit,
    backlog: queue.pending + queue.inFlight,
    runs: queue.lanes.reduce((sum, lane) => sum + lane.depth, 0) - queue.pending - queue.inFlight,
  };
}

/** A clock for relative times ("in 2 min"); it redraws the page, it asks the server nothing. */
function useNow(): number {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, []);
  return now;
}

function Monitor(props: { token: string; viewer: Viewer; onSignOut: () => void }) {
  const [connection, setConnection] = useState<Connection>({ kind: "connecting" });
  const [client, setClient] = useState<Client | null>(null);
  const [live, setLive] = useState<Map<string, Live>>(new Map());
  const [order, setOrder] = useState<string[]>([]);
  const [selected, setSelected] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const now = useNow();
  const writer = props.viewer.role === "OWNER" || props.viewer.role === "ADMIN";
  const owner = props.viewer.role === "OWNER";

  useEffect(() => {
    const c = connect(props.token, setConnection);
    setClient(c);
    return () => void c.dispose();
  }, [props.token]);

  // Snapshot on every (re)connection: what happened while the socket was away is read afresh.
  const generation = connection.kind === "live" ? connection.reconnects : -1;
  useEffect(() => {
    if (!client || generation < 0) return;
    let cancelled = false;
    request(client, IntegrationsQuery, {}).then(
      (data) => {
        if (cancelled) return;
        const ids = data.integrations.edges.map((edge) => edge.node.id);
        setOrder(ids);
        setLive((previous) => {
          const next = new Map<string, Live>();
          for (const { node } of data.integrations.edges) {
            const { exportQueue, rateBudget, ...card } = node;
            const old = previous.get(node.id);
            next.set(node.id, {
              card,
              queue: exportQueue,
              budget: rateBudget,
              at: old?.at ?? null,
              series: old?.series ?? [pointOf(exportQueue, rateBudget, Date.now())],
            });
          }
          return next;
        });
        setSelected((current) => current ?? ids[0] ?? null);
      },
      (error: Error) => setNotice(`Could not load integrations: ${error.message}`),
    );
    return () => {
      cancelled = true;
    };
  }, [client, generation]);

  // Status changes of every integration of the tenant.
  useEffect(() => {
    if (!client) return;
    return subscribe(client, StatusChangedSubscription, {}, (data) => {
      const card = data.integrationStatusChanged;
      setLive((previous) => {
        const old = previous.get(card.id);
        if (!old) return previous;
        return new Map(previous).set(card.id, { ...old, card });
      });
    });
  }, [client]);

  // Queue and budget of each integration shown.
  const idsKey = order.join(",");
  useEffect(() => {
    if (!client || !idsKey) return;
    const stops = idsKey.split(",").map((integrationId) =>
      subscribe(client, QueueProgressSubscription, { integrationId }, (data) => {
        const progress = data.queueProgress;
        setLive((previous) => {
          const old = previous.get(integrationId);
          if (!old) return previous;
          const at = new Date(progress.at).getTime();
          const series = [...old.series, pointOf(progress.exportQueue, progress.rateBudget, at)];
          return new Map(previous).set(integrationId, {
            ...old,
            queue: progress.exportQueue,
            budget: progress.rateBudget,
            at: progress.at,
            series: series.length > MAX_POINTS ? series.slice(-MAX_POINTS) : series,
          });
        });
      }),
    );
    return () => {
      for (const stop of stops) stop();
    };
  }, [client, idsKey]);

  const act = useCallback(
    async (what: string, run: () => Promise<{ __typename?: string; message?: string }>) => {
      setNotice(null);
      try {
        const result = await run();
        if (result.message) setNotice(`${what}: ${result.message}`);
      } catch (error) {
        setNotice(`${what}: ${(error as Error).message}`);
      }
    },
    [],
  );

  const current = selected ? live.get(selected) : undefined;
  return (
    <div class="page">
      <header class="top">
        <h1>syncline</h1>
        <span class="who" data-testid="viewer">
          {props.viewer.tenant.name} · {props.viewer.name} · <b data-testid="role">{props.viewer.role}</b>
          {!writer && <span class="readonly"> (read only)</span>}
        </span>
        <ConnectionBanner connection={connection} now={now} />
        <button type="button" class="quiet" onClick={props.onSignOut}>
          Sign out
        </button>
      </header>
      {notice && (
        <p class="notice" role="alert" data-testid="notice">
          {notice}
        </p>
      )}
      <div class="layout">
        <nav class="integrations" aria-label="Integrations">
          {order.length === 0 && <p class="muted">No integrations yet.</p>}
          {order.map((id) => {
            const item = live.get(id);
            return item ? (
              <IntegrationCard
                key={id}
                item={item}
                now={now}
                selected={id === selected}
                onSelect={() => setSelected(id)}
              />
            ) : null;
          })}
        </nav>
        <main class="detail">
          {client && current ? (
            <IntegrationDetail
              key={current.card.id}
              client={client}
              item={current}
              now={now}
              generation={generation}
              writer={writer}
              owner={owner}
              act={act}
            />
          ) : (
            <p class="muted">Select an integration.</p>
          )}
        </main>
      </div>
    </div>
  );
}

function ConnectionBanner(props: { connection: Connection; now: number }) {
  const c = props.connection;
  if (c.kind === "refused")
    return (
      <span class="conn bad" data-testid="connection" data-state="refused" role="alert">
        Signed out by the server: {c.reason}. Sign in again with a valid token.
      </span>
    );
  if (c.kind === "connecting")
    return (
      <span class="conn idle" data-testid="connection" data-state="connecting">
        Connecting…
      </span>
    );
  if (c.kind === "reconnecting")
    return (
      <span class="conn bad" data-testid="connection" data-state="reconnecting" role="status">
        Connection lost {relative(c.lostAt.toISOString(), props.now)} ({c.reason}) — reconnecting, attempt{" "}
        {c.attempt}…
      </span>
    );
  return (
    <span class="conn good" data-testid="connection" data-state="live" role="status">
      {c.reconnects > 0
        ? `Reconnected at ${clock(c.since)} — live again (figures reloaded)`
        : `Live since ${clock(c.since)}`}
    </span>
  );
}

function IntegrationCard(props: { item: Live; now: number; selected: boolean; onSelect: () => void }) {
  const { card, queue } = props.item;
  const next = card.nextSyncs[0];
  return (
    <button
      type="button"
      class={`card${props.selected ? " selected" : ""}`}
      onClick={props.onSelect}
      data-testid="integration-card"
      data-name={card.name}
    >
      <span class="card-title">
        <b>{card.name}</b> <span class="platform">{card.platformKey}</span>
      </span>
      <span class={`badge ${tone(card.status)}`} data-testid="integration-status">
        {card.status.replace("_", " ")}
      </span>
      <span class="card-line">
        Last sync:{" "}
        {card.lastSyncRun ? (
          <>
            <span class={`badge small ${tone(card.lastSyncRun.status)}`}>{card.lastSyncRun.status}</span>{" "}
            {relative(card.lastSyncRun.finishedAt, props.now)}
          </>
        ) : (
          "never"
        )}
      </span>
      <span class="card-line">
        Next sync: {next ? `${next.kind} ${relative(next.dueAt, props.now)}` : "none scheduled"}
      </span>
      <span class="card-line">
        Outbox: {count(queue.pending + queue.inFlight)} waiting
        {queue.estimatedDrainSeconds !== null && queue.estimatedDrainSeconds !== undefined
          ? ` · drains in ${duration(queue.estimatedDrainSeconds)}`
          : ""}
      </span>
    </button>
  );
}

type Act = (what: string, run: () => Promise<{ __typename?: string; message?: string }>) => Promise<void>;

function IntegrationDetail(props: {
  client: Client;
  item: Live;
  now: number;
  generation: number;
  writer: boolean;
  owner: boolean;
  act: Act;
}) {
  const { client, item, now } = props;
  const { card, queue, budget } = item;
  const [runs, setRuns] = useState<Map<string, RunFieldsFragment>>(new Map());
  const [openRun, setOpenRun] = useState<string | null>(null);

  useEffect(() => {
    const stop = subscribe(client, IntegrationRunsSubscription, { integrationId: card.id }, (data) => {
      const { integration: _integration, ...run } = data.integrationSyncRuns;
      setRuns((previous) => new Map(previous).set(run.id, run));
    });
    return stop;
  }, [client, card.id]);

  useEffect(() => {
    if (props.generation < 0) return;
    let cancelled = false;
    void request(client, IntegrationRunsQuery, { id: card.id }).then((data) => {
      if (cancelled || data.integration.__typename !== "Integration") return;
      const loaded = data.integration.syncRuns.edges.map((edge) => edge.node);
      setRuns((previous) => {
        const next = new Map(loaded.map((run) => [run.id, run]));
        // Runs heard of by subscription while the snapshot was read are at least as fresh.
        for (const [id, run] of previous) next.set(id, run);
        return next;
      });
    });
    return () => {
      cancelled = true;
    };
  }, [client, card.id, props.generation]);

  const sortedRuns = useMemo(
    () => [...runs.values()].sort((a, b) => b.queuedAt.localeCompare(a.queuedAt)).slice(0, 25),
    [runs],
  );

  const callsData = useMemo(
    () => [
      item.series.map((p) => p.t),
      item.series.map((p) => p.minuteUsed),
      item.series.map((p) => p.minuteLimit),
      item.series.map((p) => p.exportUsed),
      item.series.map((p) => p.exportLimit),
    ],
    [item.series],
  );
  const backlogData = useMemo(
    () => [item.series.map((p) => p.t), item.series.map((p) => p.backlog), item.series.map((p) => p.runs)],
    [item.series],
  );

  const paused = card.status === "PAUSED";
  return (
    <section data-testid="integration-detail" data-name={card.name}>
      <header class="detail-head">
        <h2>
          {card.name} <span class="platform">{card.platformKey}</span>{" "}
          <span class={`badge ${tone(card.status)}`}>{card.status.replace("_", " ")}</span>
        </h2>
        {card.lastError && <p class="problem">{card.lastError}</p>}
        {props.writer && (
          <div class="actions" data-testid="integration-actions">
            <button
              type="button"
              data-testid="sync-now"
              onClick={() =>
                void props.act("Sync now", async () => {
                  const { triggerSync } = await request(client, TriggerSyncMutation, {
                    integrationId: card.id,
                  });
                  if (triggerSync.__typename === "TriggerSyncPayload") setOpenRun(triggerSync.syncRun.id);
                  return triggerSync;
                })
              }
            >
              Sync now
            </button>
            {paused ? (
              <button
                type="button"
                data-testid="resume"
                onClick={() =>
                  void props.act(
                    "Resume",
                    async () => (await request(client, ResumeMutation, { id: card.id })).resumeIntegration,
                  )
                }
              >
                Resume
              </button>
            ) : (
              <button
                type="button"
                data-testid="pause"
                onClick={() =>
                  void props.act(
                    "Pause",
                    async () => (await request(client, PauseMutation, { id: card.id })).pauseIntegration,
                  )
                }
              >
                Pause
              </button>
            )}
          </div>
        )}
      </header>

      <div class="panels">
        <section class="panel" aria-label="Budget">
          <h3>Budget {item.at ? <small>read {clock(item.at)}</small> : null}</h3>
          <Gauge name="Minute (all calls)" window={budget.minute} now={now} testId="gauge-minute" />
          <Gauge name="Day (all calls)" window={budget.day} now={now} testId="gauge-day" />
          <Gauge name="Export minute" window={budget.exportMinute} now={now} testId="gauge-export-minute" />
          <Gauge name="Export day" window={budget.exportDay} now={now} testId="gauge-export-day" />
          <Bar
            name="In flight"
            used={budget.concurrent.inFlight}
            limit={budget.concurrent.limit}
            note=""
            testId="gauge-in-flight"
          />
          <p class="blocked" data-testid="blocked-until">
            {budget.blockedUntil && new Date(budget.blockedUntil).getTime() > now
              ? `Blocked by the platform (429) until ${clock(budget.blockedUntil)} (${relative(budget.blockedUntil, now)})`
              : "Not blocked"}
          </p>
        </section>

        <section class="panel" aria-label="Queue">
          <h3>Lanes</h3>
          <table class="lanes">
            <tbody>
              {queue.lanes.map((lane) => (
                <tr key={lane.lane} data-testid="lane" data-lane={lane.lane}>
                  <th>{lane.lane}</th>
                  <td class="num" data-testid="lane-depth">
                    {count(lane.depth)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Outbox</h3>
          <dl class="outbox">
            <dt>Waiting</dt>
            <dd data-testid="outbox-pending">{count(queue.pending)}</dd>
            <dt>Sending</dt>
            <dd data-testid="outbox-in-flight">{count(queue.inFlight)}</dd>
            <dt>Sent</dt>
            <dd data-testid="outbox-sent">{count(queue.sent)}</dd>
            <dt>Failed</dt>
            <dd data-testid="outbox-failed">{count(queue.failed)}</dd>
          </dl>
          <p data-testid="drain-estimate">
            {queue.estimatedDrainSeconds === null || queue.estimatedDrainSeconds === undefined
              ? "Nothing waiting to go out."
              : `Drains in ${duration(queue.estimatedDrainSeconds)} (about ${clock(queue.estimatedDrainAt)})`}
          </p>
        </section>
      </div>

      <div class="panels">
        <Plot
          title="Calls in the sliding minute, against the cap"
          testId="plot-calls"
          lines={CALL_LINES}
          data={callsData}
        />
        <Plot title="Backlog over time" testId="plot-backlog" lines={BACKLOG_LINES} data={backlogData} />
      </div>

      <section class="panel" aria-label="Runs">
        <h3>Runs</h3>
        <table class="runs">
          <thead>
            <tr>
              <th>Kind</th>
              <th>Status</th>
              <th>Queued</th>
              <th>Progress</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {sortedRuns.map((run) => (
              <tr key={run.id} data-testid="run" data-kind={run.kind} data-status={run.status}>
                <td>
                  {run.kind} <small>{run.trigger}</small>
                </td>
                <td>
                  <span class={`badge ${tone(run.status)}`}>{run.status}</span>
                  {run.deferredUntil && run.status === "DEFERRED" ? (
                    <small> until {clock(run.deferredUntil)}</small>
                  ) : null}
                </td>
                <td>{relative(run.queuedAt, now)}</td>
                <td>{runSummary(run)}</td>
                <td>
                  <button type="button" class="quiet" onClick={() => setOpenRun(run.id)}>
                    {openRun === run.id ? "Shown" : "Details"}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>

      {openRun && (
        <RunDetail
          key={openRun}
          client={client}
          runId={openRun}
          now={now}
          generation={props.generation}
          writer={props.writer}
          owner={props.owner}
          act={props.act}
        />
      )}
    </section>
  );
}

const CALL_LINES = [
  { label: "calls (minute)", color: "#2563eb" },
  { label: "cap (minute)", color: "#2563eb", dash: [6, 4] },
  { label: "export calls", color: "#16a34a" },
  { label: "export reserve", color: "#16a34a", dash: [6, 4] },
];
const BACKLOG_LINES = [
  { label: "outbox waiting + sending", color: "#ea580c" },
  { label: "runs in lanes", color: "#7c3aed" },
];

function runSummary(run: RunFieldsFragment): string {
  if (run.kind === "PUSH" || run.kind === "EXPORT")
    return `${run.sentCount} sent · ${run.failedCount} failed · ${run.skippedCount} skipped`;
  return `${count(run.fetchedCount)} fetched · ${run.createdCount} new · ${run.updatedCount} changed · ${run.deletedCount} deleted`;
}

function Gauge(props: { name: string; window: WindowFieldsFragment; now: number; testId: string }) {
  const w = props.window;
  return (
    <Bar
      name={props.name}
      used={w.used}
      limit={w.limit}
      note={w.remaining === 0 ? `frees ${relative(w.resetsAt, props.now)}` : `${count(w.remaining)} left`}
      testId={props.testId}
    />
  );
}

function Bar(props: { name: string; used: number; limit: number; note: string; testId: string }) {
  const share = props.limit > 0 ? Math.min(1, props.used / props.limit) : 0;
  const level = share >= 1 ? "bad" : share >= 0.8 ? "warn" : "good";
  return (
    <div class="gauge" data-testid={props.testId} data-used={props.used} data-limit={props.limit}>
      <span class="gauge-name">{props.name}</span>
      <span class="gauge-bar">
        <span class={`gauge-fill ${level}`} style={{ width: `${share * 100}%` }} />
      </span>
      <span class="gauge-figure">
        {count(props.used)} / {count(props.limit)} <small>{props.note}</small>
      </span>
    </div>
  );
}

// --- one run ----------------------------------------------------------------------------------------

interface PacketView {
  id: string;
  sequence: number;
  label: string;
  state: PacketFieldsFragment["state"];
  attempts: number;
  errorCode?: string | null;
  errorMessage?: string | null;
  remoteId?: string | null;
  totalAmount?: string;
  /** When it last moved (ISO): a newer move wins over an older one, whichever arrived first. */
  at: string;
}

function RunDetail(props: {
  client: Client;
  runId: string;
  now: number;
  generation: number;
  writer: boolean;
  owner: boolean;
  act: Act;
}) {
  const { client, runId } = props;
  const [run, setRun] = useState<RunFieldsFragment | null>(null);
  const [logs, setLogs] = useState<LogFieldsFragment[]>([]);
  const [packets, setPackets] = useState<Map<string, PacketView>>(new Map());
  const [problem, setProblem] = useState<string | null>(null);

  const mergePacket = useCallback((packet: PacketView) => {
    setPackets((previous) => {
      const old = previous.get(packet.id);
      if (old && old.at > packet.at) return previous;
      return new Map(previous).set(packet.id, { ...old, ...packet });
    });
  }, []);

  // Subscribed before the snapshot is read, so no move falls between the two.
  useEffect(() => {
    const stops = [
      subscribe(client, RunUpdatedSubscription, { id: runId }, (data) => {
        const { logs: lines, ...fields } = data.syncRunUpdated;
        setRun(fields);
        setLogs(lines.edges.map((edge) => edge.node));
      }),
      subscribe(client, PacketStateSubscription, { runId }, (data) => {
        const move = data.packetStateChanged;
        mergePacket({
          id: move.packetId,
          sequence: move.sequence,
          label: move.label,
          state: move.to,
          attempts: move.attempts,
          errorCode: move.errorCode,
          errorMessage: move.errorMessage,
          remoteId: move.remoteId,
          at: move.at,
        });
      }),
    ];
    return () => {
      for (const stop of stops) stop();
    };
  }, [client, runId, mergePacket]);

  useEffect(() => {
    if (props.generation < 0) return;
    let cancelled = false;
    request(client, RunDetailQuery, { id: runId }).then(
      (data) => {
        if (cancelled) return;
        if (data.syncRun.__typename !== "SyncRun") {
          setProblem("message" in data.syncRun ? data.syncRun.message : "Run not found");
          return;
        }
        const { packets: page, logs: lines, ...fields } = data.syncRun;
        setRun((current) => current ?? fields);
        setLogs((current) => (current.length > 0 ? current : lines.edges.map((edge) => edge.node)));
        for (const { node } of page.edges) mergePacket({ ...node, at: node.updatedAt });
      },
      (error: Error) => setProblem(error.message),
    );
    return () => {
      cancelled = true;
    };
  }, [client, runId, props.generation, mergePacket]);

  const list = useMemo(() => [...packets.values()].sort((a, b) => a.sequence - b.sequence), [packets]);
  const byState = useMemo(() => {
    const counts = new Map<string, number>();
    for (const packet of list) counts.set(packet.state, (counts.get(packet.state) ?? 0) + 1);
    return [...counts.entries()];
  }, [list]);

  if (problem) return <p class="problem">{problem}</p>;
  if (!run) return <p class="muted">Loading run…</p>;
  const active = run.status === "QUEUED" || run.status === "RUNNING" || run.status === "DEFERRED";
  const finished = !active;
  const failedPackets = list.some((packet) => packet.state === "FAILED");
  return (
    <section class="panel run-detail" data-testid="run-detail" data-status={run.status} data-kind={run.kind}>
      <h3>
        {run.kind} run <span class={`badge ${tone(run.status)}`}>{run.status}</span>{" "}
        <small>
          queued {clock(run.queuedAt)}
          {run.startedAt ? ` · started ${clock(run.startedAt)}` : ""}
          {run.finishedAt ? ` · ended ${clock(run.finishedAt)}` : ""}
        </small>
      </h3>
      {run.error && <p class="problem">{run.error}</p>}
      {props.writer && active && (
        <button
          type="button"
          data-testid="cancel-run"
          onClick={() =>
            void props.act(
              "Cancel",
              async () => (await request(client, CancelRunMutation, { id: runId })).cancelSyncRun,
            )
          }
        >
          Cancel run
        </button>
      )}
      {props.owner && run.kind === "PUSH" && finished && failedPackets && (
        <button
          type="button"
          data-testid="retry-failed"
          onClick={() =>
            void props.act(
              "Retry failed packets",
              async () => (await request(client, RetryPacketsMutation, { runId })).retryFailedPackets,
            )
          }
        >
          Retry failed packets
        </button>
      )}
      <p>{runSummary(run)}</p>

      {run.entities.length > 0 && (
        <table class="entities">
          <thead>
            <tr>
              <th>Entity</th>
              <th>State</th>
              <th>Fetched</th>
              <th>New</th>
              <th>Changed</th>
              <th>Unchanged</th>
              <th>Deleted</th>
            </tr>
          </thead>
          <tbody>
            {run.entities.map((e) => (
              <tr key={e.entity} data-testid="entity" data-entity={e.entity} data-state={e.state}>
                <td>{e.entity}</td>
                <td>
                  <span class={`badge small ${tone(e.state)}`}>{e.state}</span>
                </td>
                <td class="num">{count(e.fetched)}</td>
                <td class="num">{count(e.created)}</td>
                <td class="num">{count(e.updated)}</td>
                <td class="num">{count(e.unchanged)}</td>
                <td class="num">{count(e.deleted)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      {list.length > 0 && (
        <>
          <h4>
            Packets{" "}
            <small data-testid="packet-counts">
              {byState.map(([state, n]) => `${n} ${state}`).join(" · ")}
            </small>
          </h4>
          <table class="packets">
            <thead>
              <tr>
                <th>#</th>
                <th>Packet</th>
                <th>State</th>
                <th>Attempts</th>
                <th>Remote id / error</th>
              </tr>
            </thead>
            <tbody>
              {list.map((p) => (
                <tr key={p.id} data-testid="packet" data-label={p.label} data-state={p.state}>
                  <td class="num">{p.sequence}</td>
                  <td>{p.label}</td>
                  <td>
                    <span class={`badge small ${tone(p.state)}`}>{p.state}</span>
                  </td>
                  <td class="num">{p.attempts}</td>
                  <td>
                    {p.state === "FAILED"
                      ? `${p.errorCode ?? ""} ${p.errorMessage ?? ""}`
                      : (p.remoteId ?? "")}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}

      <h4>Log</h4>
      <ol class="logs" data-testid="logs">
        {logs.map((line) => (
          <li key={line.id} class={`log ${line.level.toLowerCase()}`}>
            <time>{clock(line.createdAt)}</time> <b>{line.level}</b> {line.entity ? `[${line.entity}] ` : ""}
            {line.message}
          </li>
        ))}
        {logs.length === 0 && <li class="muted">No lines yet.</li>}
      </ol>
    </section>
  );
}
