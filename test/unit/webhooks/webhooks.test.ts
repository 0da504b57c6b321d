import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { ValidationError } from "../../../src/errors.ts";
import { timeScale } from "../../../src/time.ts";
import { MAX_DELIVERY_ATTEMPTS, retryDelayMs } from "../../../src/webhooks/backoff.ts";
import { generateSecret, signedHeaders } from "../../../src/webhooks/signing.ts";
import { checkTargetUrl, isPublicAddress, publicOnlyLookup } from "../../../src/webhooks/targets.ts";

describe("webhook targets", () => {
  it("calls only public unicast addresses public, IPv4-mapped IPv6 judged as IPv4", () => {
    const judged = Object.fromEntries(
      [
        "8.8.8.8",
        "2606:4700::1111",
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "::1",
        "fd00::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "224.0.0.1",
        "nonsense",
      ].map((address) => [address, isPublicAddress(address)]),
    );
    expect(judged).toEqual({
      "8.8.8.8": true,
      "2606:4700::1111": true,
      "127.0.0.1": false,
      "10.0.0.1": false,
      "172.16.5.4": false,
      "192.168.1.1": false,
      "169.254.169.254": false,
      "100.64.0.1": false,
      "0.0.0.0": false,
      "::1": false,
      "fd00::1": false,
      "fe80::1": false,
      "::ffff:127.0.0.1": false,
      "224.0.0.1": false,
      nonsense: false,
    });
  });

  it("accepts https to public hosts, and loopback over http only when configuration allows it", () => {
    expect(checkTargetUrl("https://hooks.example.com/a?b=1", false, ["url"]).toString()).toBe(
      "https://hooks.example.com/a?b=1",
    );
    expect(() => checkTargetUrl("http://127.0.0.1:9/hook", false, ["url"])).toThrow(ValidationError);
    expect(() => checkTargetUrl("https://intranet.internal/hook", false, ["url"])).toThrow(ValidationError);
    expect(checkTargetUrl("http://127.0.0.1:9/hook", true, ["url"]).port).toBe("9");
  });

  it("refuses, at connection time, a name that resolves to a non-public address", async () => {
    const error = await new Promise<NodeJS.ErrnoException | null>((resolve) =>
      publicOnlyLookup("localhost", { all: true }, (err) => resolve(err)),
    );
    expect(error?.code).toBe("ENOTPUBLIC");
  });
});

describe("webhook retries", () => {
  it("wait 5 s, then four times longer each time up to 8 h, and give up after more than a day", () => {
    const time = timeScale(60_000);
    const waits: number[] = [];
    for (let attempt = 1; ; attempt++) {
      const wait = retryDelayMs(attempt, time);
      if (wait === null) break;
      waits.push(wait / 1000);
    }
    expect(waits).toEqual([5, 20, 80, 320, 1280, 5120, 20480, 28800, 28800, 28800]);
    expect(waits.length + 1).toBe(MAX_DELIVERY_ATTEMPTS);
    expect(waits.reduce((a, b) => a + b, 0)).toBeGreaterThan(24 * 3600);
  });
});

describe("webhook signatures", () => {
  it("sign id, timestamp and body so a Standard Webhooks verifier accepts them, and nothing altered", () => {
    const secret = generateSecret();
    const body = JSON.stringify({ id: "e1", type: "run.finished", data: { status: "SUCCEEDED" } });
    const headers = signedHeaders(secret, "e1", body);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(body.replace("SUCCEEDED", "FAILED"), headers)).toThrow();
    expect(() => new Webhook(generateSecret()).verify(body, headers)).toThrow();
    const old = signedHeaders(secret, "e1", body, new Date(Date.now() - 10 * 60_000));
    expect(() => new Webhook(secret).verify(body, old)).toThrow(/too old/);
  });
});
