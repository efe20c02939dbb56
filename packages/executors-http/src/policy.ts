/**
 * The network policy: which URLs, hosts and addresses a request may reach, checked on every URL
 * (first request and each redirect hop) and again on every address DNS returns at connect time.
 *
 * @module
 */

import { lookup as dnsLookup } from "node:dns/promises";
import { isIP, type LookupFunction } from "node:net";
import { AddressSet, classifyAddress } from "./address.js";
import { HttpToolError } from "./errors.js";
import { httpDefaults } from "./defaults.js";
import type { HttpRequestOptions } from "./options.js";

/** One address returned by a resolver. */
export interface ResolvedAddress {
  /** An IPv4 or IPv6 address. */
  address: string;
  /** 4 or 6. */
  family: 4 | 6;
}

/** Resolves a host name to its addresses (like `dns.promises.lookup(hostname, { all: true })`). */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** Host names of cloud metadata services: refused unless listed exactly in `allowedHosts`. */
const metadataHosts = new Set([
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
]);

/** The options of the policy, checked (see `HttpRequestOptions`). */
export type PolicyOptions = Pick<
  HttpRequestOptions,
  "allowedHosts" | "deniedHosts" | "allowPrivateNetwork" | "allowedAddresses" | "lookup"
>;

/** A host name: dot-separated labels of letters, digits, `_` and `-`, at most 253 characters. */
const hostName =
  /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/** A host pattern: `example.com` (exactly) or `*.example.com` (any subdomain, not the apex). */
export class HostPattern {
  constructor(
    readonly host: string,
    readonly wildcard: boolean,
  ) {}

  /**
   * Parses a pattern.
   *
   * @param text - `example.com`, `*.example.com` or an IP address.
   * @returns the pattern, or `undefined` when `text` is none of these.
   */
  static tryParse(text: string): HostPattern | undefined {
    const lower = normalizeHost(text.trim());
    const wildcard = lower.startsWith("*.");
    const host = wildcard ? lower.slice(2) : lower;
    const valid = isIP(host) !== 0 ? !wildcard : hostName.test(host);
    return valid ? new HostPattern(host, wildcard) : undefined;
  }

  /**
   * Parses a pattern of an option that was checked already.
   *
   * @param text - a pattern {@link HostPattern.tryParse} accepts.
   * @param option - the option's name, for the message of the error thrown when it does not.
   */
  static parse(text: string, option: string): HostPattern {
    const pattern = HostPattern.tryParse(text);
    if (pattern === undefined) {
      throw new HttpToolError(
        "invalid-options",
        `Option "${option}" must list host names, IP addresses or "*.example.com" patterns, got ${JSON.stringify(text)}`,
      );
    }
    return pattern;
  }

  /** Whether the normalized `host` matches. */
  matches(host: string): boolean {
    return this.wildcard ? host.endsWith(`.${this.host}`) : host === this.host;
  }
}

/** Lowercases a host, strips IPv6 brackets and a trailing dot. */
export function normalizeHost(host: string): string {
  let value = host.toLowerCase();
  if (value.startsWith("[") && value.endsWith("]")) value = value.slice(1, -1);
  if (value.endsWith(".")) value = value.slice(0, -1);
  return value;
}

/** The compiled, validated policy. */
export class NetworkPolicy {
  readonly #allowedHosts: HostPattern[] | undefined;
  readonly #deniedHosts: HostPattern[];
  readonly #allowPrivateNetwork: boolean;
  readonly #allowedAddresses: AddressSet;
  readonly #resolve: Resolver;

  /** @param options - checked (see `HttpRequestOptions`); the defaults are those of `httpDefaults`. */
  constructor({
    allowedHosts,
    deniedHosts = httpDefaults.deniedHosts,
    allowPrivateNetwork = httpDefaults.allowPrivateNetwork,
    allowedAddresses = httpDefaults.allowedAddresses,
    lookup = defaultResolver,
  }: PolicyOptions) {
    this.#allowedHosts = allowedHosts?.map((host) => HostPattern.parse(host, "allowedHosts"));
    this.#deniedHosts = deniedHosts.map((host) => HostPattern.parse(host, "deniedHosts"));
    this.#allowPrivateNetwork = allowPrivateNetwork;
    try {
      this.#allowedAddresses = new AddressSet(allowedAddresses);
    } catch (error) {
      throw new HttpToolError(
        "invalid-options",
        `Option "allowedAddresses" must list IP addresses or CIDR networks: ${(error as Error).message}`,
        { cause: error },
      );
    }
    this.#resolve = lookup;
  }

  /**
   * Parses and checks a URL: scheme, credentials, host allowlist and denylist, literal address.
   *
   * @param input - an absolute URL, or a relative one resolved against `base` (a redirect's `Location`).
   * @param base - the URL the relative one is resolved against.
   * @returns the parsed URL.
   */
  checkUrl(input: string, base?: URL): URL {
    let url: URL;
    try {
      url = new URL(input, base);
    } catch (error) {
      throw new HttpToolError("invalid-url", `Invalid URL: ${JSON.stringify(truncate(input))}`, {
        cause: error,
      });
    }
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      throw new HttpToolError(
        "scheme-not-allowed",
        `Scheme "${url.protocol}" is not allowed: only http: and https:`,
      );
    }
    if (url.username !== "" || url.password !== "") {
      throw new HttpToolError("credentials-in-url", `URLs with credentials (user:password@host) are refused`);
    }
    const host = normalizeHost(url.hostname);
    const listed = this.#allowedHosts?.some((pattern) => pattern.matches(host)) ?? false;
    if (
      metadataHosts.has(host) &&
      !this.#allowedHosts?.some((pattern) => !pattern.wildcard && pattern.host === host)
    ) {
      throw new HttpToolError("host-not-allowed", `Host "${host}" is a cloud metadata service`);
    }
    if (this.#deniedHosts.some((pattern) => pattern.matches(host))) {
      throw new HttpToolError("host-not-allowed", `Host "${host}" is on the denylist`);
    }
    if (this.#allowedHosts !== undefined && !listed) {
      throw new HttpToolError("host-not-allowed", `Host "${host}" is not on the allowlist`);
    }
    if (isIP(host) !== 0) this.checkAddress(host, host);
    return url;
  }

  /**
   * Throws `address-not-allowed` unless `address` may be connected to.
   *
   * @param address - the IP address.
   * @param host - the host name it was resolved from, for the message.
   */
  checkAddress(address: string, host: string): void {
    if (this.#allowedAddresses.has(address)) return;
    const category = classifyAddress(address) ?? "reserved";
    if (category === "public") return;
    if (category !== "metadata" && this.#allowPrivateNetwork) return;
    const via = normalizeHost(host) === normalizeHost(address) ? "" : ` (resolved from "${host}")`;
    throw new HttpToolError(
      "address-not-allowed",
      `Address ${address}${via} is ${category === "metadata" ? "a cloud metadata endpoint" : `a ${category} address`}: refused`,
    );
  }

  /**
   * A `net.connect` lookup function that resolves with the policy's resolver and refuses the
   * connection if any returned address is not allowed. Runs for every connection, so DNS rebinding
   * (a name that resolves to a public address when checked and a private one when connecting) is covered.
   */
  readonly lookup: LookupFunction = (hostname, options, callback) => {
    const done = callback as (error: Error | null, address: unknown, family?: number) => void;
    this.#resolve(hostname).then(
      (addresses) => {
        try {
          if (addresses.length === 0)
            throw new HttpToolError("network-error", `Host "${hostname}" has no address`);
          for (const { address } of addresses) this.checkAddress(address, hostname);
          const wanted = options.family === 4 || options.family === 6 ? options.family : undefined;
          const usable = wanted ? addresses.filter((entry) => entry.family === wanted) : [...addresses];
          if (usable.length === 0)
            throw new HttpToolError("network-error", `Host "${hostname}" has no IPv${wanted} address`);
          if (options.all)
            done(
              null,
              usable.map(({ address, family }) => ({ address, family })),
            );
          else done(null, usable[0]!.address, usable[0]!.family);
        } catch (error) {
          done(error as Error, undefined);
        }
      },
      (error: unknown) => done(error as Error, undefined),
    );
  };
}

const defaultResolver: Resolver = async (hostname) => {
  const addresses = await dnsLookup(hostname, { all: true, verbatim: true });
  return addresses.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
