/**
 * The built-in scenarios: for each, a goal, the plan the offline model writes, the revision it
 * writes when a step fails, the final answer it writes from the results, and the files it needs
 * in the workspace. The steps call real tools: the demo service's OpenAPI operations and the
 * confined shell.
 *
 * @module
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

/** One step as the offline model writes it: a call of one tool with known arguments. */
export interface ScenarioStep {
  /** The step id. */
  id: string;
  /** What the step does. */
  description: string;
  /** Ids of the steps it needs. */
  dependsOn: string[];
  /** The tool (an OpenAPI operation id, `shell` or `http_request`). */
  tool: string;
  /** The tool's arguments; strings may use `${id}` and `${id.path}` references. */
  args: Record<string, unknown>;
}

/** A built-in scenario. */
export interface Scenario {
  /** The name given to `--scenario`. */
  name: string;
  /** One line: what it shows. */
  summary: string;
  /** The goal used when none is given. */
  goal: string;
  /** Words that make a free-text goal pick this scenario offline. */
  keywords: string[];
  /** The first plan. */
  plan: ScenarioStep[];
  /** The revision written when a step fails, by the id of the failed step. */
  replans: Record<string, ScenarioStep[]>;
  /** The final answer, from the results of the done steps (by step id). */
  answer(results: Record<string, unknown>): string;
  /** Creates the files the scenario reads in the workspace (only those missing). */
  setup(workspace: string): void;
}

/** Reads `path` ("a.b.0.c") in a value, or `undefined`. */
export function pick(value: unknown, path: string): unknown {
  let current = value;
  for (const key of path.split(".")) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

function text(value: unknown, fallback = "?"): string {
  if (value === undefined || value === null) return fallback;
  return typeof value === "string" ? value : JSON.stringify(value);
}

/**
 * A scenario's answer from the results it has, whatever the plan was (an edited plan may leave out
 * or add steps): each line only when its results are there, then the steps of the scenario that
 * gave no result, and the results of steps the scenario does not know.
 */
function answerFrom(
  known: string[],
  lines: (results: Record<string, unknown>) => Array<string | false | undefined>,
): (results: Record<string, unknown>) => string {
  return (results) => {
    const out = lines(results).filter((line): line is string => typeof line === "string" && line !== "");
    // Results no line speaks of: all of them when none does, else those of unknown steps.
    const rest = Object.keys(results).filter((id) => out.length === 0 || !known.includes(id));
    for (const id of rest) out.push(`${id}: ${cutText(text(results[id], "(no result)"), 160)}`);
    return out.length === 0 ? "No step gave a result." : out.join("\n");
  };
}

function cutText(value: string, width: number): string {
  const line = value.replace(/\s+/g, " ").trim();
  return line.length > width ? `${line.slice(0, width - 1)}…` : line;
}

function writeMissing(file: string, content: string): void {
  if (existsSync(file)) return;
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, content);
}

const CHANGELOG = `# Changelog

## 2.4.0 (2026-11-18) "Kestrel"
- Parallel uploads: large files upload 3x faster
- New \`acme doctor\` command checks your setup
- Resumable downloads
- Node 18 is no longer supported

## 2.3.2 (2026-10-30)
- Fix: retries after a 429 now honour Retry-After
`;

const releaseReport: Scenario = {
  name: "release-report",
  summary: "parallel HTTP and shell steps, then a report published from their results",
  goal: "Write a report on the latest ACME release: notes, downloads, open bugs and the changelog",
  keywords: ["release", "report", "changelog", "downloads", "version", "bugs", "notes"],
  plan: [
    {
      id: "latest",
      description: "Find the latest release",
      dependsOn: [],
      tool: "getLatestRelease",
      args: {},
    },
    {
      id: "bugs",
      description: "List the open bugs",
      dependsOn: [],
      tool: "listIssues",
      args: { label: "bug" },
    },
    {
      id: "changelog",
      description: "Read the top of CHANGELOG.md",
      dependsOn: [],
      tool: "shell",
      args: { program: "head", args: ["-n", "8", "CHANGELOG.md"] },
    },
    {
      id: "notes",
      description: "Get the release notes of that version",
      dependsOn: ["latest"],
      tool: "getReleaseNotes",
      args: { version: "${latest.body.version}" },
    },
    {
      id: "downloads",
      description: "Get the download counts of that version",
      dependsOn: ["latest"],
      tool: "getDownloadStats",
      args: { version: "${latest.body.version}" },
    },
    {
      id: "publish",
      description: "Publish the release report",
      dependsOn: ["notes", "downloads", "bugs", "changelog"],
      tool: "publishReport",
      args: {
        body: {
          title: "ACME ${latest.body.version} release report",
          text: "Highlights: ${notes.body.highlights}\nDownloads: ${downloads.body.total} (${downloads.body.change} last week)\nOpen bugs: ${bugs.body.count}",
        },
      },
    },
  ],
  replans: {},
  answer: answerFrom(["latest", "bugs", "changelog", "notes", "downloads", "publish"], (results) => {
    const highlights = pick(results.notes, "body.highlights");
    const bugs = pick(results.bugs, "body.items");
    return [
      results.latest !== undefined &&
        `ACME ${text(pick(results.latest, "body.version"))} "${text(pick(results.latest, "body.codename"))}" was released on ${text(pick(results.latest, "body.date"))}.`,
      results.notes !== undefined &&
        `Highlights: ${Array.isArray(highlights) ? highlights.join("; ") : text(highlights)}.`,
      results.downloads !== undefined &&
        `Downloads: ${text(pick(results.downloads, "body.total"))} in all, ${text(pick(results.downloads, "body.change"))} over last week.`,
      results.bugs !== undefined &&
        `Open bugs (${text(pick(results.bugs, "body.count"))}): ${
          Array.isArray(bugs)
            ? bugs.map((bug) => `#${text(pick(bug, "id"))} ${text(pick(bug, "title"))}`).join(", ")
            : "?"
        }.`,
      results.publish !== undefined &&
        `The report is published as ${text(pick(results.publish, "body.id"))}.`,
    ];
  }),
  setup(workspace) {
    writeMissing(join(workspace, "CHANGELOG.md"), CHANGELOG);
  },
};

const stockStep = (warehouse: string): ScenarioStep => ({
  id: warehouse,
  description: `Get the stock of the ${warehouse} warehouse`,
  dependsOn: [],
  tool: "getStock",
  args: { warehouse },
});

const reportStep = (east: string): ScenarioStep => ({
  id: "report",
  description: "Find the items below 10 units across warehouses",
  dependsOn: ["north", east, "south"],
  tool: "createStockReport",
  args: {
    body: {
      threshold: 10,
      stocks: [
        { warehouse: "north", items: "${north.body.items}" },
        { warehouse: "east", items: `\${${east}.body.items}` },
        { warehouse: "south", items: "${south.body.items}" },
      ],
    },
  },
});

const orderStep: ScenarioStep = {
  id: "order",
  description: "Order what is low",
  dependsOn: ["report"],
  tool: "createRestockOrder",
  args: { body: { reportId: "${report.body.id}" } },
};

const inventory: Scenario = {
  name: "inventory",
  summary: "a warehouse API answers 503; the replanner swaps in its read replica, keeping the rest",
  goal: "Check stock in all warehouses and order whatever is running low",
  keywords: ["stock", "inventory", "warehouse", "warehouses", "order", "restock", "low"],
  plan: [stockStep("north"), stockStep("east"), stockStep("south"), reportStep("east"), orderStep],
  replans: {
    east: [
      {
        id: "east-replica",
        description: "Get the east warehouse's stock from the read replica",
        dependsOn: [],
        tool: "getStockFromReplica",
        args: { warehouse: "east" },
      },
      reportStep("east-replica"),
      orderStep,
    ],
  },
  answer: answerFrom(["north", "east", "south", "east-replica", "report", "order"], (results) => {
    const low = pick(results.report, "body.low");
    const lines = Array.isArray(low)
      ? low.map(
          (item) =>
            `- ${text(pick(item, "sku"))} (${text(pick(item, "name"))}): ${text(pick(item, "qty"))} left in ${text(pick(item, "warehouse"))}`,
        )
      : [];
    return [
      results.report !== undefined && `${lines.length} items are below 10 units:`,
      ...lines,
      results.order !== undefined &&
        `Restock order ${text(pick(results.order, "body.orderId"))} is placed for them.`,
      results["east-replica"] !== undefined &&
        "The east warehouse's database was down, so its stock comes from the read replica (up to 10 minutes old).",
    ];
  }),
  setup() {},
};

function logLines(name: string, count: number, errorEvery: number): string {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    const minute = String(index % 60).padStart(2, "0");
    const level = index % errorEvery === errorEvery - 1 ? "ERROR" : "INFO ";
    const message =
      level === "ERROR"
        ? `upload ${1000 + index} failed: connection reset by peer (retrying)`
        : `upload ${1000 + index} done in ${(index * 37) % 900} ms`;
    lines.push(`2026-11-24T10:${minute}:00Z ${level} [${name}] ${message}`);
  }
  return `${lines.join("\n")}\n`;
}

const diskAudit: Scenario = {
  name: "disk-audit",
  summary: "shell steps in the workspace; a command exits non-zero and the replanner looks elsewhere",
  goal: "Audit the disk usage of the workspace: sizes, big files, errors in the logs, and the tmp folder",
  keywords: ["disk", "audit", "usage", "files", "logs", "log", "size", "tmp", "space", "shell"],
  plan: [
    {
      id: "sizes",
      description: "Measure the size of each folder",
      dependsOn: [],
      tool: "shell",
      args: { program: "du", args: ["-sk", "logs", "cache", "data"] },
    },
    {
      id: "big-files",
      description: "Find files over 20 KB",
      dependsOn: [],
      tool: "shell",
      args: { program: "find", args: ["logs", "cache", "data", "-type", "f", "-size", "+20k"] },
    },
    {
      id: "errors",
      description: "Count the errors in the application log",
      dependsOn: [],
      tool: "shell",
      args: { program: "grep", args: ["-c", "ERROR", "logs/app.log"] },
    },
    {
      id: "last-errors",
      description: "Show the last errors",
      dependsOn: ["errors"],
      tool: "shell",
      args: { program: "grep", args: ["-m", "3", "ERROR", "logs/app.log"] },
    },
    {
      id: "tmp",
      description: "Measure the tmp folder",
      dependsOn: [],
      tool: "shell",
      args: { program: "du", args: ["-sk", "tmp"] },
    },
  ],
  replans: {
    tmp: [
      {
        id: "find-tmp",
        description: "Look for tmp folders elsewhere",
        dependsOn: [],
        tool: "shell",
        args: { program: "find", args: [".", "-type", "d", "-name", "tmp"] },
      },
      {
        id: "tmp-size",
        description: "Measure cache/tmp",
        dependsOn: ["find-tmp"],
        tool: "shell",
        args: { program: "du", args: ["-sk", "cache/tmp"] },
      },
    ],
  },
  answer: answerFrom(
    ["sizes", "big-files", "errors", "last-errors", "tmp", "find-tmp", "tmp-size"],
    (results) => {
      const stdout = (id: string) => text(pick(results[id], "stdout"), "").trim();
      const sizes = stdout("sizes")
        .split("\n")
        .filter(Boolean)
        .map((line) => {
          const [size, folder] = line.split(/\s+/);
          return `${folder} ${size} KB`;
        });
      const big = stdout("big-files").split("\n").filter(Boolean);
      const example = stdout("last-errors").split("\n")[0];
      return [
        results.sizes !== undefined && `Folder sizes: ${sizes.join(", ") || "none"}.`,
        results["big-files"] !== undefined && `Files over 20 KB: ${big.join(", ") || "none"}.`,
        results.errors !== undefined &&
          `logs/app.log has ${stdout("errors") || "0"} ERROR lines${example ? `, e.g. "${example}"` : ""}.`,
        results.errors === undefined && example ? `An ERROR line of logs/app.log: "${example}".` : false,
        results["tmp-size"] !== undefined &&
          `There is no tmp folder at the top; the one found is cache/tmp, ${stdout("tmp-size").split(/\s+/)[0]} KB.`,
        results.tmp !== undefined && `tmp: ${stdout("tmp") || "empty"}`,
      ];
    },
  ),
  setup(workspace) {
    writeMissing(join(workspace, "logs", "app.log"), logLines("app", 700, 50));
    writeMissing(join(workspace, "logs", "worker.log"), logLines("worker", 60, 100));
    writeMissing(join(workspace, "logs", "archive", "app-2026-10.log"), logLines("app", 400, 80));
    writeMissing(join(workspace, "cache", "tmp", "thumbnails.bin"), "x".repeat(96 * 1024));
    writeMissing(join(workspace, "cache", "index.json"), `${JSON.stringify({ entries: 3 })}\n`);
    writeMissing(
      join(workspace, "data", "inventory.csv"),
      "sku,warehouse,qty\nBOLT-M6,north,42\nNUT-M6,north,6\nDRILL-8,south,4\n",
    );
  },
};

/** Every built-in scenario, the default first. */
export const SCENARIOS: readonly Scenario[] = [releaseReport, inventory, diskAudit];

/** The scenario used when nothing else is asked for. */
export const DEFAULT_SCENARIO: Scenario = releaseReport;
