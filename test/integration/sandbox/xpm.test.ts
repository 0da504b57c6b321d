import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SandboxCaps } from "../../../src/sandbox/kit/sandbox-caps.ts";
import { XpmPractice } from "../../../src/sandbox/xpm/data.ts";
import { startXpmSandbox, type XpmSandbox } from "../../../src/sandbox/xpm/server.ts";
import { timeScale } from "../../../src/time.ts";

/** The XPM sandbox over real HTTP, in compressed time: a platform minute is 500 ms. */
const MINUTE_MS = 500;
const ANCHOR = Date.UTC(2025, 5, 30, 12);

let xpm: XpmSandbox;
let tenantCount = 0;

beforeAll(async () => {
  xpm = await startXpmSandbox({ minuteMs: MINUTE_MS });
});
afterAll(() => xpm.close());

/** A fresh practice per test, so caps and data never leak between tests. */
function newPractice(seed: Parameters<XpmSandbox["addPractice"]>[1] = {}) {
  const tenantId = `practice-${++tenantCount}`;
  return { tenantId, practice: xpm.addPractice(tenantId, { anchor: ANCHOR, ...seed }) };
}

function call(
  tenantId: string | undefined,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
) {
  const headers: Record<string, string> = { authorization: "Bearer sandbox-token", ...init.headers };
  if (tenantId) headers["xero-tenant-id"] = tenantId;
  if (init.body !== undefined) headers["content-type"] = "application/json";
  return fetch(new URL(path, xpm.url), {
    method: init.method ?? "GET",
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: init.signal,
  });
}

async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** yyyy-MM-ddTHH:mm:ss (UTC) of an instant, rounded down to the second, as modifiedSince takes it. */
const modifiedSince = (ms: number) => new Date(ms).toISOString().slice(0, 19);

describe("access", () => {
  it("requires a bearer token (401) and a known xero-tenant-id (403), answering ResponseErrorDto", async () => {
    const { tenantId } = newPractice();
    const noToken = await fetch(new URL("v3.1/staff.api/list", xpm.url), {
      headers: { "xero-tenant-id": tenantId },
    });
    expect(noToken.status).toBe(401);
    expect(await json(noToken)).toMatchObject({ status: "ERROR", errorDescription: expect.any(String) });

    const unknown = await call("nobody", "v3.1/staff.api/list");
    expect(unknown.status).toBe(403);
    expect(await json(unknown)).toMatchObject({ status: "ERROR" });
    expect((await call(undefined, "v3.1/staff.api/list")).status).toBe(403);
    // Not tenant-scoped, so neither capped nor logged.
    expect(xpm.caps.log.some((e) => e.tenantId === "nobody")).toBe(false);
  });

  it("serves under the production base path too, and answers unknown endpoints with 404", async () => {
    const { tenantId } = newPractice();
    expect((await call(tenantId, "practicemanager/v3.1/staff.api/list")).status).toBe(200);
    expect((await call(tenantId, "v3.1/nothing.api/list")).status).toBe(404);
    expect(xpm.caps.log.filter((e) => e.tenantId === tenantId).map((e) => e.path)).toEqual([
      "/v3.1/staff.api/list",
      "/v3.1/nothing.api/list",
    ]);
  });
});

describe("clients", () => {
  it("lists clients with the spec's field names and the limit headers", async () => {
    const { tenantId, practice } = newPractice({ clients: 12 });
    const response = await call(tenantId, "v3.1/client.api/list");
    expect(response.status).toBe(200);
    expect(response.headers.get("x-minlimit-remaining")).toBe("59");
    expect(response.headers.get("x-daylimit-remaining")).toBe("4999");
    expect(Number(response.headers.get("x-appminlimit-remaining"))).toBeGreaterThan(9000);

    const body = await json<{ status: string; clients: Record<string, unknown>[] }>(response);
    expect(body.status).toBe("OK");
    expect(body.clients).toHaveLength(12);
    expect(body.clients[0]).toMatchObject({
      uuid: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      name: expect.any(String),
      isArchived: "No",
      isDeleted: "No",
      clientCode: "C000001",
    });
    expect(body.clients.map((c) => c.uuid)).toEqual([...practice.clients.keys()]);

    const detailed = await json<{ clients: Record<string, unknown>[] }>(
      await call(tenantId, "v3.1/client.api/list?detailed=true"),
    );
    expect(detailed.clients[0]).toMatchObject({ contacts: [], notes: [], groups: [], relationships: [] });
  });

  it("filters by modifiedSince; a deleted client leaves the list, a silent edit does not show", async () => {
    const { tenantId, practice } = newPractice({ clients: 10 });
    const [first, second, third, fourth] = [...practice.clients.keys()];
    const editedAt = Date.now();
    practice.editClient(first!, { name: "Renamed Ltd" });
    practice.addClient({ name: "New Client Ltd" });
    practice.editClient(second!, { phone: "09 000" }, { silent: true });
    practice.deleteClient(third!);
    practice.editClient(fourth!, { isArchived: "Yes" });

    const since = await json<{ clients: { uuid: string; name: string }[] }>(
      await call(tenantId, `v3.1/client.api/list?modifiedSince=${modifiedSince(editedAt)}`),
    );
    expect(since.clients.map((c) => c.name).sort()).toEqual(
      ["New Client Ltd", "Renamed Ltd", practice.clients.get(fourth!)!.dto.name].sort(),
    );

    const all = await json<{ clients: { uuid: string }[] }>(await call(tenantId, "v3.1/client.api/list"));
    expect(all.clients).toHaveLength(10);
    expect(all.clients.some((c) => c.uuid === third)).toBe(false);
    expect(practice.clients.get(third!)).toMatchObject({ deleted: true, dto: { isDeleted: "Yes" } });

    // client.api/list declares only 200 and 500: a bad request is a 500 whose ResponseErrorDto says why.
    const bad = await call(tenantId, "v3.1/client.api/list?modifiedSince=2025-01-01");
    expect(bad.status).toBe(500);
    expect(await json(bad)).toMatchObject({
      status: "ERROR",
      errorDescription: expect.stringContaining("modifiedSince"),
    });
  });

  it("pages through clients with opaque tokens, skipping archived and deleted ones", async () => {
    const { tenantId, practice } = newPractice({ clients: 20 });
    const uuids = [...practice.clients.keys()];
    practice.editClient(uuids[3]!, { isArchived: "Yes" });
    practice.deleteClient(uuids[10]!);
    practice.editClient(uuids[19]!, { isArchived: "Yes" });

    type Page = {
      clients: { uuid: string }[];
      pagination: { links: { first: string; next: string | null } };
    };
    const seen: string[] = [];
    const sizes: number[] = [];
    let next: string | null = new URL("v3.1/client.api/paged-list?pageSize=6", xpm.url).toString();
    while (next) {
      // Follow the absolute `next` link as given.
      const response: Response = await fetch(next, {
        headers: { authorization: "Bearer t", "xero-tenant-id": tenantId },
      });
      const page: Page = await json<Page>(response);
      sizes.push(page.clients.length);
      seen.push(...page.clients.map((c) => c.uuid));
      expect(page.pagination.links.first).toContain("pageSize=6");
      next = page.pagination.links.next;
    }
    expect(sizes).toEqual([6, 6, 5]);
    expect(seen).toEqual(uuids.filter((_, i) => ![3, 10, 19].includes(i)));

    const defaultPage = await json<{ clients: unknown[] }>(
      await call(tenantId, "v3.1/client.api/paged-list"),
    );
    expect(defaultPage.clients).toHaveLength(17);
    expect((await call(tenantId, "v3.1/client.api/paged-list?pageSize=1001")).status).toBe(400);
    expect((await call(tenantId, "v3.1/client.api/paged-list?pageToken=bogus")).status).toBe(400);
  });
});

describe("jobs, staff and time", () => {
  it("lists current jobs and gets one by number", async () => {
    const { tenantId, practice } = newPractice({ jobs: 30 });
    const current = await json<{ jobs: { id: string; state: string; budget: number }[] }>(
      await call(tenantId, "v3.1/job.api/current"),
    );
    const open = [...practice.jobs.values()].filter((j) => j.dto.state !== "Completed");
    expect(current.jobs.map((j) => j.id)).toEqual(open.map((j) => j.dto.id));
    expect(current.jobs.every((j) => j.state !== "Completed")).toBe(true);

    const one = await json<{ job: Record<string, unknown> }>(
      await call(tenantId, "v3.1/job.api/get/J000007"),
    );
    expect(one.job).toMatchObject({
      id: "J000007",
      budget: expect.any(Number),
      client: { uuid: expect.any(String) },
    });
    expect((await call(tenantId, "v3.1/job.api/get/J999999")).status).toBe(500);
  });

  it("lists staff, and time entries between from and to (yyyyMMdd)", async () => {
    const { tenantId, practice } = newPractice({ staff: 4, timeEntries: 300, days: 30 });
    const staff = await json<{ staffList: { uuid: string; name: string }[] }>(
      await call(tenantId, "v3.1/staff.api/list"),
    );
    expect(staff.staffList).toHaveLength(4);

    const times = await json<{ times: { date: string; minutes: number; job: { id: string } }[] }>(
      await call(tenantId, "v3.1/time.api/list?from=20250620&to=20250625"),
    );
    const expected = [...practice.time.values()].filter(
      (t) => t.dto.date >= "2025-06-20" && t.dto.date <= "2025-06-25",
    );
    expect(times.times.length).toBe(expected.length);
    expect(times.times.length).toBeGreaterThan(0);
    expect(times.times.every((t) => t.date >= "2025-06-20" && t.date <= "2025-06-25")).toBe(true);

    expect((await call(tenantId, "v3.1/time.api/list?from=20250620")).status).toBe(400);
    expect((await call(tenantId, "v3.1/time.api/list?from=20250230&to=20250301")).status).toBe(400);
  });
});

describe("job update", () => {
  it("updates a budget and replays a repeated Idempotency-Key without applying it again", async () => {
    const { tenantId, practice } = newPractice({ jobs: 3 });
    const update = (key: string, budget: number) =>
      call(tenantId, "v3.1/job.api/update", {
        method: "PUT",
        body: { id: "J000002", budget },
        headers: { "idempotency-key": key },
      });

    const first = await update("key-1", 1234);
    expect(first.status).toBe(200);
    const firstBody = await json<{ job: { budget: number } }>(first);
    expect(firstBody.job.budget).toBe(1234);
    const modifiedAt = practice.jobs.get("J000002")!.modifiedAt;

    await sleep(5);
    const replay = await update("key-1", 9999);
    expect(replay.status).toBe(200);
    expect(await json(replay)).toEqual(firstBody);
    expect(practice.jobs.get("J000002")!.dto.budget).toBe(1234);
    expect(practice.jobs.get("J000002")!.modifiedAt).toBe(modifiedAt);

    expect(await json(await update("key-2", 2000))).toMatchObject({ job: { budget: 2000 } });
    const writes = xpm.caps.log.filter((e) => e.tenantId === tenantId && e.method === "PUT");
    expect(writes.map((e) => [e.idempotencyKey, e.status, e.replayed ?? false])).toEqual([
      ["key-1", 200, false],
      ["key-1", 200, true],
      ["key-2", 200, false],
    ]);
  });

  it("refuses unknown jobs and fields outside JobUpdateRequestDto with a 500 saying why (the contract declares no 4xx)", async () => {
    const { tenantId, practice } = newPractice({ jobs: 2 });
    const put = (body: unknown) => call(tenantId, "v3.1/job.api/update", { method: "PUT", body });
    const unknown = await put({ id: "J000404", budget: 1 });
    expect(unknown.status).toBe(500);
    expect(await json(unknown)).toMatchObject({ status: "ERROR", errorDescription: "Job J000404 not found" });
    const capitalised = await put({ id: "J000001", Budget: 1 });
    expect(capitalised.status).toBe(500);
    expect(await json(capitalised)).toMatchObject({
      status: "ERROR",
      errorDescription: expect.stringContaining("Budget"),
    });
    expect((await put({ id: "J000001", budget: -1 })).status).toBe(500);
    expect((await put({ budget: 1 })).status).toBe(500);
    expect(
      (await call(tenantId, "v3.1/job.api/update", { method: "POST", body: { id: "J000001" } })).status,
    ).toBe(405);

    const dates = await put({ id: "J000001", startDate: "2025-07-01", dueDate: "2025-08-01T00:00:00" });
    expect(await json(dates)).toMatchObject({ job: { startDate: "2025-07-01", dueDate: "2025-08-01" } });
    expect(practice.jobs.get("J000001")!.dto.dueDate).toBe("2025-08-01");
  });
});

describe("caps", () => {
  it("answers 429 'minute' with Retry-After once the sliding minute is full, and admits again after it", async () => {
    const { tenantId } = newPractice();
    xpm.caps.setLimits({ perMinute: 5 }, tenantId);
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const response = await call(tenantId, "v3.1/staff.api/list");
      expect(response.status).toBe(200);
      remaining.push(response.headers.get("x-minlimit-remaining")!);
    }
    expect(remaining).toEqual(["4", "3", "2", "1", "0"]);

    const refused = await call(tenantId, "v3.1/staff.api/list");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-rate-limit-problem")).toBe("minute");
    expect(refused.headers.get("x-minlimit-remaining")).toBe("0");
    const retryAfter = Number(refused.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(await json(refused)).toMatchObject({ status: "ERROR" });

    await sleep(xpm.time.secondsToMs(retryAfter) + 5);
    expect((await call(tenantId, "v3.1/staff.api/list")).status).toBe(200);
    // Refused calls are logged but not counted: no window ever held more than 5.
    expect(xpm.caps.maxInSlidingWindow(tenantId, MINUTE_MS)).toBe(5);
    expect(xpm.caps.log.filter((e) => e.tenantId === tenantId && e.problem === "minute")).toHaveLength(1);
  });

  it("answers 429 'concurrent' past 3 calls in flight, and the log shows at most 3 at once", async () => {
    const { tenantId } = newPractice();
    xpm.caps.setLatency(150, tenantId);
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => call(tenantId, "v3.1/staff.api/list")),
    );
    xpm.caps.setLatency(undefined, tenantId);

    const statuses = responses.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    const refused = responses.filter((r) => r.status === 429);
    expect(refused.every((r) => r.headers.get("x-rate-limit-problem") === "concurrent")).toBe(true);
    expect(refused.every((r) => Number(r.headers.get("retry-after")) >= 1)).toBe(true);
    expect(xpm.caps.maxConcurrency(tenantId)).toBe(3);
    expect(xpm.caps.usage(tenantId).inFlight).toBe(0);
  });

  it("answers 429 'day' with a Retry-After until the day window resets", async () => {
    const { tenantId } = newPractice();
    xpm.caps.setLimits({ perDay: 3 }, tenantId);
    for (let i = 0; i < 3; i++) expect((await call(tenantId, "v3.1/staff.api/list")).status).toBe(200);
    const refused = await call(tenantId, "v3.1/staff.api/list");
    expect(refused.status).toBe(429);
    expect(refused.headers.get("x-rate-limit-problem")).toBe("day");
    expect(refused.headers.get("x-daylimit-remaining")).toBe("0");
    const untilReset = xpm.time.dayMs - (Date.now() % xpm.time.dayMs);
    expect(Number(refused.headers.get("retry-after"))).toBeCloseTo(xpm.time.msToSeconds(untilReset), -2);

    xpm.caps.resetUsage(tenantId);
    expect((await call(tenantId, "v3.1/staff.api/list")).status).toBe(200);
  });

  it("counts a replayed write against the caps", async () => {
    const { tenantId } = newPractice({ jobs: 1 });
    const put = () =>
      call(tenantId, "v3.1/job.api/update", {
        method: "PUT",
        body: { id: "J000001", budget: 5 },
        headers: { "idempotency-key": "same" },
      });
    await put();
    const replay = await put();
    expect(replay.headers.get("x-minlimit-remaining")).toBe("58");
  });
});

describe("faults", () => {
  it("injects a 500 into the next call only, and a write that failed is applied on retry", async () => {
    const { tenantId, practice } = newPractice({ jobs: 1 });
    xpm.caps.injectFaults(tenantId, { kind: "status", status: 500 });
    const update = () =>
      call(tenantId, "v3.1/job.api/update", {
        method: "PUT",
        body: { id: "J000001", budget: 777 },
        headers: { "idempotency-key": "retry-me" },
      });
    const failed = await update();
    expect(failed.status).toBe(500);
    expect(await json(failed)).toMatchObject({ status: "ERROR", errorDescription: expect.any(String) });
    expect(failed.headers.get("x-minlimit-remaining")).toBe("59");
    expect(practice.jobs.get("J000001")!.dto.budget).not.toBe(777);

    const retried = await update();
    expect(retried.status).toBe(200);
    expect(practice.jobs.get("J000001")!.dto.budget).toBe(777);
    const log = xpm.caps.log.filter((e) => e.tenantId === tenantId);
    expect(log.map((e) => [e.status, e.problem, e.replayed ?? false])).toEqual([
      [500, "fault", false],
      [200, undefined, false],
    ]);
  });

  it("forces a 429 regardless of counts, and faults can target one endpoint", async () => {
    const { tenantId } = newPractice();
    xpm.caps.injectFaults(tenantId, [
      {
        kind: "rateLimit",
        problem: "day",
        retryAfterSeconds: 3600,
        match: { path: "/v3.1/job.api/current" },
      },
    ]);
    expect((await call(tenantId, "v3.1/staff.api/list")).status).toBe(200);
    const forced = await call(tenantId, "v3.1/job.api/current");
    expect(forced.status).toBe(429);
    expect(forced.headers.get("x-rate-limit-problem")).toBe("day");
    expect(forced.headers.get("retry-after")).toBe("3600");
    expect((await call(tenantId, "v3.1/job.api/current")).status).toBe(200);
    expect(xpm.caps.pendingFaults(tenantId)).toBe(0);
  });

  it("holds a timeout fault until the client gives up, then frees the slot", async () => {
    const { tenantId } = newPractice();
    xpm.caps.injectFaults("*", { kind: "timeout", match: { path: "/v3.1/staff.api/list" } });
    await expect(
      call(tenantId, "v3.1/staff.api/list", { signal: AbortSignal.timeout(100) }),
    ).rejects.toThrow();
    await sleep(20);
    const [entry] = xpm.caps.log.filter((e) => e.tenantId === tenantId);
    expect(entry).toMatchObject({ status: null, problem: "fault", admitted: true, clientAborted: true });
    expect(entry!.endedAt! - entry!.startedAt).toBeGreaterThanOrEqual(90);
    expect(xpm.caps.usage(tenantId).inFlight).toBe(0);
    expect((await call(tenantId, "v3.1/staff.api/list")).status).toBe(200);
  });
});

describe("call log helpers", () => {
  /** A SandboxCaps on a hand-driven clock, so windows are exact. */
  function manualCaps() {
    let now = 1_000_000;
    const caps = new SandboxCaps({ concurrent: 2, perMinute: 3, perDay: 100 }, timeScale(1000), {
      now: () => now,
    });
    return { caps, advance: (ms: number) => (now += ms) };
  }

  it("slides the minute window from the oldest call, with Retry-After in platform seconds", () => {
    const { caps, advance } = manualCaps();
    for (const gap of [0, 100, 100]) {
      advance(gap);
      const admission = caps.admit("t", "GET", "/x");
      caps.finish(admission.entry, 200);
    }
    advance(300); // 500 ms after the first call; it leaves the window at 1000 ms
    const refused = caps.admit("t", "GET", "/x");
    expect(refused).toMatchObject({ admitted: false, problem: "minute", retryAfterSeconds: 30 });
    advance(500);
    expect(caps.admit("t", "GET", "/x").admitted).toBe(true);
    expect(caps.maxInSlidingWindow("t", 1000)).toBe(3);
    expect(caps.maxInSlidingWindow("t", 150)).toBe(2);
    expect(caps.maxInSlidingWindow("t", 1000, (e) => e.seq > 2)).toBe(2);
  });

  it("measures concurrency from the logged intervals, and clear() empties the log", () => {
    const { caps, advance } = manualCaps();
    const a = caps.admit("t", "GET", "/a");
    advance(10);
    const b = caps.admit("t", "GET", "/b");
    expect(caps.admit("t", "GET", "/c")).toMatchObject({ admitted: false, problem: "concurrent" });
    advance(10);
    caps.finish(a.entry, 200);
    const d = caps.admit("t", "GET", "/d");
    caps.finish(b.entry, 200);
    caps.finish(d.entry, 200);
    expect(caps.maxConcurrency("t")).toBe(2);
    expect(caps.accepted("t").map((e) => e.path)).toEqual(["/a", "/b", "/d"]);
    caps.clear();
    expect(caps.log).toHaveLength(0);
  });
});

describe("seeded data", () => {
  it("is deterministic for a seed and anchor, and differs between seeds", () => {
    const sizes = { clients: 50, jobs: 20, staff: 5, timeEntries: 200, anchor: ANCHOR };
    const a = new XpmPractice({ seed: "alpha", ...sizes });
    const b = new XpmPractice({ seed: "alpha", ...sizes });
    const c = new XpmPractice({ seed: "beta", ...sizes });
    const snapshot = (p: XpmPractice) =>
      JSON.stringify([...p.clients.values(), ...p.jobs.values(), ...p.time.values()]);
    expect(snapshot(a)).toBe(snapshot(b));
    expect(snapshot(a)).not.toBe(snapshot(c));
    expect([...a.time.values()].every((t) => t.modifiedAt <= ANCHOR)).toBe(true);
  });
});
