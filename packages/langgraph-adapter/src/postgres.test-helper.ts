// A throwaway PostgreSQL server for this package's tests: initdb + pg_ctl in a temp dir, on a free
// loopback port, trust auth for user "postgres". Stop it (and remove its files) in afterAll.
// As root, the server runs as user nobody (initdb refuses root), started through execFile's own
// uid/gid options: no runuser (absent from many PATHs) is needed.
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
  /** Kills the server at once (`pg_ctl stop -m immediate`): clients see their connections drop. */
  crash(): Promise<void>;
  /** Starts the server again on the same port, with the same data (after {@link crash}). */
  restart(): Promise<void>;
  /** Freezes every process of the server (SIGSTOP): connections stay open and hang. */
  freeze(): void;
  /** Thaws the server after {@link freeze} (SIGCONT). */
  thaw(): void;
}

const isRoot = process.getuid?.() === 0;
/** The user the server runs as when the tests run as root. */
const NOBODY = 65534;

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
export const postgresAvailable = findPostgresBin() !== null || Boolean(process.env.CI);

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
  if (isRoot) chownSync(dir, NOBODY, NOBODY);
  const data = join(dir, "data");
  const asOwner = (command: string, args: string[]) => run(join(bin, command), args, isRoot);
  try {
    await asOwner("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    let lastError: unknown;
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const start = () =>
        asOwner("pg_ctl", [
          "-D",
          data,
          "-o",
          serverOptions(port, dir),
          "-l",
          join(dir, "log"),
          "-w",
          "-t",
          "30",
          "start",
        ]);
      try {
        await start();
        return server(dir, data, port, asOwner, start);
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

function serverOptions(port: number, dir: string): string {
  return [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    // fsync=off: what the server wrote survives the death of its processes (it is in the OS cache),
    // which is all these tests cause. synchronous_commit stays on: off, a commit is acknowledged
    // before its WAL is written, and pg_ctl stop -m immediate loses it.
    "-c fsync=off",
    "-c full_page_writes=off",
    "-c max_connections=200",
  ].join(" ");
}

function server(
  dir: string,
  data: string,
  port: number,
  asOwner: (command: string, args: string[]) => Promise<string>,
  start: () => Promise<string>,
): TestPostgres {
  /** The postmaster and its children (backends, background workers), from /proc. */
  const processes = (): number[] => {
    const postmaster = Number(readFileSync(join(data, "postmaster.pid"), "utf8").split("\n")[0]);
    const children = readdirSync("/proc")
      .filter((entry) => /^\d+$/.test(entry))
      .filter((pid) => {
        try {
          // "pid (comm) state ppid ...": comm may hold spaces, so read after its closing parenthesis
          const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
  };
  const signalAll = (signal: NodeJS.Signals) => {
    for (const pid of processes()) {
      try {
        process.kill(pid, signal);
      } catch {
        // gone meanwhile
      }
    }
  };
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
    async crash() {
      await asOwner("pg_ctl", ["-D", data, "-m", "immediate", "-w", "-t", "10", "stop"]);
    },
    async restart() {
      await start();
    },
    freeze() {
      signalAll("SIGSTOP");
    },
    thaw() {
      signalAll("SIGCONT");
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

/** Runs a program (as nobody, with its own uid/gid options, when `asNobody`), bounded to 60 s. */
function run(command: string, args: string[], asNobody = false): Promise<string> {
  const user = asNobody
    ? { uid: NOBODY, gid: NOBODY, cwd: tmpdir(), env: { ...process.env, HOME: tmpdir() } }
    : {};
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: 60_000, encoding: "utf8", ...user }, (error, stdout, stderr) => {
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
