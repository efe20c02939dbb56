/**
 * IP address parsing and classification: which addresses a request may connect to.
 *
 * Addresses reach this module in canonical form: from the WHATWG URL parser (which already turns
 * `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` into `127.0.0.1`) or from DNS.
 *
 * @module
 */

import { BlockList, isIP } from "node:net";

/** What kind of address an IP is. Only `public` addresses are allowed by default. */
export type AddressCategory =
  | "public"
  | "unspecified"
  | "loopback"
  | "private"
  | "link-local"
  | "shared"
  | "multicast"
  | "reserved"
  | "metadata";

/** Cloud metadata endpoints: refused even with `allowPrivateNetwork`, allowed only through `allowedAddresses`. */
const metadataAddresses = [
  "169.254.169.254", // AWS, GCP, Azure, OpenStack, DigitalOcean...
  "169.254.169.253", // AWS DNS resolver
  "169.254.170.2", // AWS ECS task metadata
  "100.100.100.200", // Alibaba Cloud
  "168.63.129.16", // Azure WireServer (a public-looking address)
  "192.0.0.192", // Oracle Cloud
  "fd00:ec2::254", // AWS IMDS over IPv6
  "fd00:ec2::253", // AWS DNS over IPv6
];

/** The networks of each category but `public` and `metadata` (IANA's special-purpose registries). */
const categoryNetworks: Readonly<Partial<Record<AddressCategory, readonly string[]>>> = {
  unspecified: ["0.0.0.0/8", "::/128"],
  loopback: ["127.0.0.0/8", "::1/128"],
  private: ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"],
  "link-local": ["169.254.0.0/16", "fe80::/10"],
  shared: ["100.64.0.0/10"],
  multicast: ["224.0.0.0/4", "ff00::/8"],
  reserved: [
    ...["192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15", "198.51.100.0/24"],
    ...["203.0.113.0/24", "240.0.0.0/4"],
    ...["64:ff9b:1::/48", "100::/64", "2001::/23", "2001:db8::/32", "3fff::/20", "fec0::/10"],
  ],
};

/** An address or CIDR network, parsed for a `BlockList`. */
interface Network {
  address: string;
  type: "ipv4" | "ipv6";
  /** The prefix length; `undefined` for a single address. */
  prefix: number | undefined;
}

/**
 * Parses `"10.0.0.0/8"`, `"::1"` or `"[::1]/128"`; `undefined` when it is neither an address nor a
 * network with a valid prefix length.
 */
function parseNetwork(entry: string): Network | undefined {
  const [network = "", prefixText, extra] = entry.trim().split("/");
  const unbracketed = network.startsWith("[") && network.endsWith("]") ? network.slice(1, -1) : network;
  const family = isIP(unbracketed);
  if (family === 0 || extra !== undefined) return undefined;
  const type = family === 6 ? "ipv6" : "ipv4";
  const address = family === 6 ? formatIpv6(parseIpv6(unbracketed)!) : unbracketed;
  if (prefixText === undefined) return { address, type, prefix: undefined };
  const prefix = Number(prefixText);
  if (!/^\d+$/.test(prefixText) || prefix > (family === 6 ? 128 : 32)) return undefined;
  return { address, type, prefix };
}

/** Whether `entry` is an IP address or a CIDR network (an entry of `allowedAddresses`). */
export function isAddressOrNetwork(entry: string): boolean {
  return parseNetwork(entry) !== undefined;
}

function add(list: BlockList, { address, type, prefix }: Network): void {
  if (prefix === undefined) list.addAddress(address, type);
  else list.addSubnet(address, prefix, type);
}

function buildLists(): [AddressCategory, BlockList][] {
  const lists: [AddressCategory, BlockList][] = [];
  const entries = Object.entries({ metadata: metadataAddresses, ...categoryNetworks }) as [
    AddressCategory,
    readonly string[],
  ][];
  for (const [category, networks] of entries) {
    const list = new BlockList();
    for (const network of networks) add(list, parseNetwork(network)!);
    lists.push([category, list]);
  }
  return lists;
}

let categoryLists: [AddressCategory, BlockList][] | undefined;

/** Parses a dotted-quad IPv4 address into 4 bytes, or `undefined`. */
export function parseIpv4(text: string): number[] | undefined {
  if (isIP(text) !== 4) return undefined;
  return text.split(".").map(Number);
}

/** Parses an IPv6 address (brackets and zone id allowed, embedded dotted quad allowed) into 16 bytes, or `undefined`. */
export function parseIpv6(text: string): number[] | undefined {
  let value = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const zone = value.indexOf("%");
  if (zone >= 0) value = value.slice(0, zone);
  if (isIP(value) !== 6) return undefined;
  const lastColon = value.lastIndexOf(":");
  const tail = value.slice(lastColon + 1);
  if (tail.includes(".")) {
    const v4 = parseIpv4(tail);
    if (!v4) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = v4;
    value = `${value.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = "", rest] = value.split("::");
  const headGroups = head === "" ? [] : head.split(":");
  const restGroups = rest === undefined || rest === "" ? [] : rest.split(":");
  const fill = rest === undefined ? 0 : 8 - headGroups.length - restGroups.length;
  const groups = [...headGroups, ...Array<string>(fill).fill("0"), ...restGroups];
  if (groups.length !== 8) return undefined;
  return groups.flatMap((group) => {
    const word = Number.parseInt(group, 16);
    return [word >> 8, word & 0xff];
  });
}

function formatIpv6(bytes: readonly number[]): string {
  const groups: string[] = [];
  for (let index = 0; index < 16; index += 2)
    groups.push((((bytes[index] ?? 0) << 8) | (bytes[index + 1] ?? 0)).toString(16));
  return groups.join(":");
}

/**
 * The IPv4 address embedded in an IPv6 address that routes to it: IPv4-mapped (`::ffff:a.b.c.d`),
 * IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`) and 6to4 (`2002:AABB:CCDD::/48`).
 */
export function embeddedIpv4(bytes: readonly number[]): string | undefined {
  const startsWith = (prefix: number[]) => prefix.every((byte, index) => bytes[index] === byte);
  const zeros = (count: number) => Array<number>(count).fill(0);
  if (startsWith([...zeros(10), 0xff, 0xff]) || startsWith(zeros(12))) return bytes.slice(12).join(".");
  if (startsWith([0x00, 0x64, 0xff, 0x9b, ...zeros(8)])) return bytes.slice(12).join(".");
  if (startsWith([0x20, 0x02])) return bytes.slice(2, 6).join(".");
  return undefined;
}

function categoryOf(address: string, family: "ipv4" | "ipv6"): AddressCategory {
  categoryLists ??= buildLists();
  for (const [category, list] of categoryLists) if (list.check(address, family)) return category;
  return "public";
}

/**
 * Classifies an IP address. IPv6 addresses that embed an IPv4 address are classified by it too, and
 * the stricter result wins; IPv6 outside global unicast (`2000::/3`) is `reserved`.
 *
 * @param address - an IPv4 or IPv6 address (brackets and zone id allowed).
 * @returns the category, or `undefined` when `address` is not an IP address.
 *
 * @example
 * ```ts
 * import { classifyAddress } from "@replan/executors-http";
 *
 * classifyAddress("::ffff:7f00:1"); // "loopback"
 * classifyAddress("fd00:ec2::254"); // "metadata"
 * classifyAddress("1.1.1.1"); // "public"
 * ```
 */
export function classifyAddress(address: string): AddressCategory | undefined {
  if (parseIpv4(address)) return categoryOf(address, "ipv4");
  const bytes = parseIpv6(address);
  if (!bytes) return undefined;
  const canonical = formatIpv6(bytes);
  const own = categoryOf(canonical, "ipv6");
  const embedded = embeddedIpv4(bytes);
  if (embedded !== undefined && own !== "unspecified" && own !== "loopback") {
    const inner = categoryOf(embedded, "ipv4");
    // IPv4-compatible addresses (`::a.b.c.d`) are deprecated: never public.
    const compatible = bytes.slice(0, 12).every((byte) => byte === 0);
    return inner === "public" && compatible ? "reserved" : inner;
  }
  if (own === "public" && ((bytes[0] ?? 0) & 0xe0) !== 0x20) return "reserved";
  return own;
}

/** A set of addresses and networks (`"10.0.0.0/8"`, `"::1"`) exempted from the address check. */
export class AddressSet {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  /**
   * @param entries - addresses or CIDR networks; throws a plain `Error` naming a malformed entry.
   */
  constructor(entries: readonly string[]) {
    this.#empty = entries.length === 0;
    for (const entry of entries) {
      const network = parseNetwork(entry);
      if (network === undefined) throw new Error(`"${entry}" is not an IP address or CIDR network`);
      add(this.#list, network);
    }
  }

  /** Whether `address` (or the IPv4 address it embeds) is in the set. */
  has(address: string): boolean {
    if (this.#empty) return false;
    if (parseIpv4(address)) return this.#list.check(address, "ipv4");
    const bytes = parseIpv6(address);
    if (!bytes) return false;
    if (this.#list.check(formatIpv6(bytes), "ipv6")) return true;
    const embedded = embeddedIpv4(bytes);
    return embedded !== undefined && this.#list.check(embedded, "ipv4");
  }
}
