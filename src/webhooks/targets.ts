import { type LookupAddress, lookup } from "node:dns";
import ipaddr from "ipaddr.js";
import { ValidationError } from "../errors.ts";

/**
 * Where webhooks may go. A target on a loopback, private, link-local or otherwise non-public address is
 * refused unless configuration allows it (tests do, for receivers on loopback): once when the endpoint is
 * registered (the URL's host, when it is an address or a local name), and again on every delivery, on
 * the address the name resolves to at that moment (so a name re-pointed at an internal address gets
 * nothing). Redirects are not followed.
 */

const LOCAL_NAMES = /(^|\.)(localhost|local|internal|localdomain)\.?$/i;

/** Whether an address is a public unicast one (IPv4-mapped IPv6 addresses judged as IPv4). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === "unicast";
}

/** Checks a URL an endpoint is registered with; a bad one is a ValidationError at `path`. */
export function checkTargetUrl(value: string, allowPrivate: boolean, path: string[]): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw ValidationError.at(path, "is not a URL");
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw ValidationError.at(path, "must be https");
  if (url.protocol === "http:" && !allowPrivate) throw ValidationError.at(path, "must be https");
  if (url.username || url.password) throw ValidationError.at(path, "must not carry credentials");
  if (value.length > 2000) throw ValidationError.at(path, "must be at most 2,000 characters");
  if (!allowPrivate) {
    const host = url.hostname.replace(/^\[|\]$/g, "");
    if (ipaddr.isValid(host) ? !isPublicAddress(host) : LOCAL_NAMES.test(host))
      throw ValidationError.at(path, "must not point at a loopback, private or local address");
  }
  return url;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for http.request that resolves as usual but refuses names whose addresses are not all
 * public: the check applies to the very address the connection is made to.
 */
export function publicOnlyLookup(
  hostname: string,
  options: { all?: boolean; family?: number },
  callback: LookupCallback,
) {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, []);
    const refused = addresses.find((entry) => !isPublicAddress(entry.address));
    if (refused) {
      const error: NodeJS.ErrnoException = new Error(`refused: ${hostname} resolves to a non-public address`);
      error.code = "ENOTPUBLIC";
      return callback(error, []);
    }
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0]!.address, addresses[0]!.family);
  });
}
