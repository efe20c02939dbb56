// A throwaway PostgreSQL server for this package's tests: initdb + pg_ctl in a temp dir, on a free
// loopback port, trust auth for user "postgres". Stop it (and remove its files) in afterAll.
import { execFile } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import pg from "pg";

/** A running server; `connectionString(db)` connects as `postgres` over TCP on 127.0.0.1. */
export interface TestPostgres {
  port: number;
  dir: string;
  connectionString(database?: string): string;
  /** Creates a fresh database (named from `prefix`, made unique) and returns its connection string. */
  createDatabase(prefix: string): Promise<string>;
  /** Stops the server (fast shutdown, bounded) and removes its directory. */
  stop(): Promise<void>;
}

const isRoot = process.getuid?.() === 0;

/**
 * The directory of `initdb`/`pg_ctl`: `PG_BIN`, then PATH, then Debian's /usr/lib/postgresql/<v>/bin
 * (newest first). Null when PostgreSQL is not installed.
 */
export function findPostgresBin(): string | null {
  const candidates = [
    process.env.PG_BIN,
    ...(process.env.PATH ?? "").split(delimiter),
    ...(existsSync("/usr/lib/postgresql")
      ? readdirSync("/usr/lib/postgresql")
          .sort((a, b) => Number(b) - Number(a))
          .map((version) => `/usr/lib/postgresql/${version}/bin`)
      : []),
  ];
  for (const dir of candidates) {
    if (dir && existsSync(join(dir, "initdb")) && existsSync(join(dir, "pg_ctl"))) return dir;
  }
  return null;
}

/** Whether the Postgres tests can run here; in CI (`CI=true`) they must, so a missing server fails them. */
export const postgresAvailable = findPostgresBin() !== null || process.env.CI === "true";

/** Starts a server; retries on another port if the chosen one was taken meanwhile. */
export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  if (!bin) {
    throw new Error(
      "PostgreSQL server binaries (initdb, pg_ctl) not found: install PostgreSQL (apt-get install postgresql) or set PG_BIN",
    );
  }
  const dir = mkdtempSync(join(tmpdir(), "replan-pg-"));
  // initdb refuses to run as root: run the server as nobody, who must own its directory.
  if (isRoot) chownSync(dir, 65534, 65534);
  const data = join(dir, "data");
  const asOwner = (command: string, args: string[]) =>
    isRoot
      ? run("runuser", ["-u", "nobody", "--", join(bin, command), ...args])
      : run(join(bin, command), args);
  try {
    await asOwner("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const options = [
        `-p ${port}`,
        `-k ${dir}`,
        "-c listen_addresses=127.0.0.1",
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=200",
      ].join(" ");
      try {
        await asOwner("pg_ctl", [
          "-D",
          data,
          "-o",
          options,
          "-l",
          join(dir, "log"),
          "-w",
          "-t",
          "30",
          "start",
        ]);
        return server(bin, dir, data, port, asOwner);
      } catch (error) {
        lastError = error;
        await asOwner("pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "10", "stop"]).catch(() => {});
      }
    }
    throw new Error(`PostgreSQL did not start: ${logTail(dir)}`, { cause: lastError });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

function server(
  _bin: string,
  dir: string,
  data: string,
  port: number,
  asOwner: (command: string, args: string[]) => Promise<string>,
): TestPostgres {
  let counter = 0;
  const connectionString = (database = "postgres") => `postgresql://postgres@127.0.0.1:${port}/${database}`;
  return {
    port,
    dir,
    connectionString,
    async createDatabase(prefix) {
      const name = `${prefix.replace(/[^a-z0-9_]/gi, "_").toLowerCase()}_${process.pid}_${counter++}`;
      const client = new pg.Client({ connectionString: connectionString(), connectionTimeoutMillis: 10_000 });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name}"`);
      } finally {
        await client.end();
      }
      return connectionString(name);
    },
    async stop() {
      try {
        await asOwner("pg_ctl", ["-D", data, "-m", "fast", "-w", "-t", "20", "stop"]);
      } catch {
        await asOwner("pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "10", "stop"]).catch(() => {});
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${command} ${args.join(" ")} failed: ${stderr || error.message}`));
      else resolve(stdout);
    });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject()));
    });
  });
}

function logTail(dir: string): string {
  try {
    return readFileSync(join(dir, "log"), "utf8").split("\n").slice(-10).join("\n");
  } catch {
    return "(no log)";
  }
}
