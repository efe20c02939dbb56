import { describe, expect, it } from "vitest";
import { classifyAddress } from "./address.js";
import { HttpToolError } from "./errors.js";
import { NetworkPolicy } from "./policy.js";

/** The code of the error `check` throws, or "ok". No network: checkUrl only parses and classifies. */
function codeOf(check: () => unknown): string {
  try {
    check();
    return "ok";
  } catch (error) {
    if (HttpToolError.isInstance(error)) return error.code;
    throw error;
  }
}

describe("literal addresses", () => {
  const policy = new NetworkPolicy({});
  const refused = [
    "http://127.0.0.1/",
    "http://2130706433/",
    "http://0177.0.0.1/",
    "http://0x7f.1/",
    "http://0x7f000001/",
    "http://127.1/",
    "http://017700000001/",
    "http://[::1]/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:7f00:1]/",
    "http://[0:0:0:0:0:ffff:7f00:1]/",
    "http://[::127.0.0.1]/",
    "http://[64:ff9b::127.0.0.1]/",
    "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    "http://[::]/",
    "http://0.0.0.0/",
    "http://0/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://100.64.0.1/",
    "http://169.254.1.1/",
    "http://169.254.169.254/latest/meta-data/",
    "http://0xa9.0xfe.0xa9.0xfe/",
    "http://2852039166/",
    "http://[::ffff:169.254.169.254]/",
    "http://[fd00:ec2::254]/",
    "http://[fd12:3456::1]/",
    "http://[fe80::1]/",
    "http://[fec0::1]/",
    "http://224.0.0.1/",
    "http://[ff02::1]/",
    "http://240.0.0.1/",
    "http://255.255.255.255/",
    "http://192.0.2.1/",
    "http://198.18.0.1/",
    "http://[2001:db8::1]/",
    "http://[2001::1]/",
    "http://100.100.100.200/",
    "http://168.63.129.16/",
  ];
  it.each(refused)("refuses %s", (url) => {
    expect(codeOf(() => policy.checkUrl(url))).toBe("address-not-allowed");
  });

  it.each([
    "http://8.8.8.8/",
    "http://[2001:4860:4860::8888]/",
    "http://[::ffff:8.8.8.8]/",
    "http://[64:ff9b::808:808]/",
  ])("accepts the public address %s", (url) => {
    expect(codeOf(() => policy.checkUrl(url))).toBe("ok");
  });

  it("names the address and its kind in the message", () => {
    expect(() => policy.checkUrl("http://0x7f.1/")).toThrow(/127\.0\.0\.1 is a loopback address/);
    expect(() => policy.checkUrl("http://169.254.169.254/")).toThrow(/cloud metadata/);
  });

  it("allowPrivateNetwork allows private ranges but not cloud metadata", () => {
    const open = new NetworkPolicy({ allowPrivateNetwork: true });
    expect(codeOf(() => open.checkUrl("http://10.1.2.3/"))).toBe("ok");
    expect(codeOf(() => open.checkUrl("http://[::1]/"))).toBe("ok");
    expect(codeOf(() => open.checkUrl("http://169.254.169.254/"))).toBe("address-not-allowed");
    expect(codeOf(() => open.checkUrl("http://[fd00:ec2::254]/"))).toBe("address-not-allowed");
  });

  it("allowedAddresses exempts addresses and networks, mapped IPv6 forms included", () => {
    const some = new NetworkPolicy({ allowedAddresses: ["127.0.0.1", "10.0.0.0/8", "169.254.169.254"] });
    expect(codeOf(() => some.checkUrl("http://127.0.0.1/"))).toBe("ok");
    expect(codeOf(() => some.checkUrl("http://[::ffff:127.0.0.1]/"))).toBe("ok");
    expect(codeOf(() => some.checkUrl("http://10.9.8.7/"))).toBe("ok");
    expect(codeOf(() => some.checkUrl("http://169.254.169.254/"))).toBe("ok");
    expect(codeOf(() => some.checkUrl("http://127.0.0.2/"))).toBe("address-not-allowed");
    expect(codeOf(() => some.checkUrl("http://192.168.0.1/"))).toBe("address-not-allowed");
  });
});

describe("classifyAddress", () => {
  it.each([
    ["127.0.0.1", "loopback"],
    ["::1", "loopback"],
    ["::ffff:7f00:1", "loopback"],
    ["10.0.0.1", "private"],
    ["fd12::1", "private"],
    ["169.254.0.1", "link-local"],
    ["fe80::1%eth0", "link-local"],
    ["100.64.0.1", "shared"],
    ["ff02::1", "multicast"],
    ["0.0.0.0", "unspecified"],
    ["::", "unspecified"],
    ["169.254.169.254", "metadata"],
    ["fd00:ec2::254", "metadata"],
    ["4000::1", "reserved"],
    ["::8.8.8.8", "reserved"],
    ["1.1.1.1", "public"],
    ["2606:4700::1111", "public"],
  ])("%s is %s", (address, category) => {
    expect(classifyAddress(address)).toBe(category);
  });

  it("returns undefined for a host name", () => {
    expect(classifyAddress("example.com")).toBeUndefined();
  });
});

describe("URLs", () => {
  const policy = new NetworkPolicy({});
  it.each([
    "ftp://example.com/",
    "file:///etc/passwd",
    "gopher://example.com/",
    "javascript:alert(1)",
    "data:text/plain,x",
  ])("refuses the scheme of %s", (url) => {
    expect(codeOf(() => policy.checkUrl(url))).toBe("scheme-not-allowed");
  });

  it("refuses credentials in URLs", () => {
    expect(codeOf(() => policy.checkUrl("https://user:pass@example.com/"))).toBe("credentials-in-url");
    expect(codeOf(() => policy.checkUrl("https://user@example.com/"))).toBe("credentials-in-url");
  });

  it("refuses what does not parse", () => {
    expect(codeOf(() => policy.checkUrl("not a url"))).toBe("invalid-url");
    expect(codeOf(() => policy.checkUrl("http://1.2.3.4.5/"))).toBe("invalid-url");
  });

  it("refuses cloud metadata host names", () => {
    expect(codeOf(() => policy.checkUrl("http://metadata.google.internal/computeMetadata/v1/"))).toBe(
      "host-not-allowed",
    );
    expect(codeOf(() => policy.checkUrl("http://METADATA.google.internal./"))).toBe("host-not-allowed");
    expect(codeOf(() => policy.checkUrl("http://metadata/"))).toBe("host-not-allowed");
  });

  it("resolves a redirect's relative Location against the current URL", () => {
    expect(policy.checkUrl("../b?c=1", new URL("https://example.com/x/y/z")).href).toBe(
      "https://example.com/x/b?c=1",
    );
  });
});

describe("host lists", () => {
  it("matches exact hosts and *.wildcards, case-insensitively", () => {
    const policy = new NetworkPolicy({ allowedHosts: ["api.example.com", "*.githubusercontent.com"] });
    expect(codeOf(() => policy.checkUrl("https://API.Example.com./v1"))).toBe("ok");
    expect(codeOf(() => policy.checkUrl("https://raw.githubusercontent.com/"))).toBe("ok");
    expect(codeOf(() => policy.checkUrl("https://a.b.githubusercontent.com/"))).toBe("ok");
    expect(codeOf(() => policy.checkUrl("https://githubusercontent.com/"))).toBe("host-not-allowed");
    expect(codeOf(() => policy.checkUrl("https://evilgithubusercontent.com/"))).toBe("host-not-allowed");
    expect(codeOf(() => policy.checkUrl("https://example.com/"))).toBe("host-not-allowed");
    expect(codeOf(() => policy.checkUrl("https://api.example.com.evil.net/"))).toBe("host-not-allowed");
  });

  it("the denylist wins over the allowlist", () => {
    const policy = new NetworkPolicy({ allowedHosts: ["*.example.com"], deniedHosts: ["admin.example.com"] });
    expect(codeOf(() => policy.checkUrl("https://www.example.com/"))).toBe("ok");
    expect(codeOf(() => policy.checkUrl("https://admin.example.com/"))).toBe("host-not-allowed");
  });

  it("an allowed host still needs an allowed address", () => {
    const policy = new NetworkPolicy({ allowedHosts: ["127.0.0.1"] });
    expect(codeOf(() => policy.checkUrl("http://127.0.0.1/"))).toBe("address-not-allowed");
  });

  it("validates patterns eagerly", () => {
    expect(codeOf(() => new NetworkPolicy({ allowedHosts: ["https://example.com"] }))).toBe(
      "invalid-options",
    );
    expect(codeOf(() => new NetworkPolicy({ allowedHosts: ["*.*.example.com"] }))).toBe("invalid-options");
    expect(codeOf(() => new NetworkPolicy({ deniedHosts: [""] }))).toBe("invalid-options");
    expect(codeOf(() => new NetworkPolicy({ allowedAddresses: ["localhost"] }))).toBe("invalid-options");
    expect(codeOf(() => new NetworkPolicy({ allowedAddresses: ["10.0.0.0/33"] }))).toBe("invalid-options");
  });
});
