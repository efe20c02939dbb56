/**
 * The DNS-rebinding guard: which `Host` and `Origin` headers the server accepts.
 *
 * @module
 */

/** Checks of the `Host` and `Origin` headers of a request. */
export interface HostCheck {
  /** Whether a request with this `Host` header may read runs or answer approvals. */
  allowedHost(header: string | undefined): boolean;
  /** Whether an answer with this `Origin` header (absent: same-origin or not a browser) is taken. */
  allowedOrigin(origin: string | undefined): boolean;
}

/**
 * The checks for a server listening on `host`. A page from elsewhere that resolves its name to
 * 127.0.0.1 must not read runs or answer approvals; only the address we listen on (or localhost)
 * is accepted. A server deliberately exposed on another interface is reached by names we cannot
 * know: every `Host` is accepted there.
 *
 * @param host - the interface the server listens on.
 * @param port - the port it listens on (asked at each request: known once it listens).
 */
export function hostCheck(host: string, port: () => number | undefined): HostCheck {
  const listening = host.toLowerCase();
  const loopback = ["127.0.0.1", "::1", "localhost"].includes(listening);
  const allowedHost = (header: string | undefined): boolean => {
    if (!header) return false;
    if (!loopback) return true;
    const name = header.replace(/:\d+$/, "").toLowerCase();
    const headerPort = /:(\d+)$/.exec(header)?.[1];
    if (headerPort !== undefined && Number(headerPort) !== port()) return false;
    return name === "localhost" || name === "127.0.0.1" || name === "[::1]" || name === listening;
  };
  return {
    allowedHost,
    allowedOrigin(origin) {
      if (origin === undefined) return true;
      try {
        return allowedHost(new URL(origin).host);
      } catch {
        return false;
      }
    },
  };
}
