// Type-checks every TypeScript block of every README as a user's module would be: `--strict`,
// `module` and `moduleResolution` `nodenext`, Node's types, no DOM. A block that is a fragment (it
// uses names defined elsewhere) says so on its first line, `// fragment: <what it assumes>`, and is
// skipped. Blocks that start with `// example: <name>` are also run as tests (readme.test.ts).
//
// Usage: node scripts/check-readme-types.ts   (Node 24 runs it as is; part of `pnpm run lint`)
import { spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const workDir = join(root, ".examples", "readme-types");

interface Block {
  readme: string;
  /** Line of the block's first code line in the README (1-based). */
  line: number;
  code: string;
  file: string;
}

/** The workspace packages: their folders, by package name. */
function workspacePackages(): Map<string, string> {
  const found = new Map<string, string>();
  for (const group of ["packages", "apps"]) {
    for (const name of readdirSync(join(root, group))) {
      const manifest = join(root, group, name, "package.json");
      if (!existsSync(manifest)) continue;
      found.set(
        (JSON.parse(readFileSync(manifest, "utf8")) as { name: string }).name,
        join(root, group, name),
      );
    }
  }
  return found;
}

/** Every README.md of the repository (root, packages, apps). */
function readmes(packages: Map<string, string>): string[] {
  return [join(root, "README.md"), ...[...packages.values()].map((dir) => join(dir, "README.md"))].filter(
    (file) => existsSync(file),
  );
}

/** The ```ts blocks of a README that are not marked as fragments, and how many are. */
function blocksOf(readme: string): { blocks: Omit<Block, "file">[]; fragments: number } {
  const text = readFileSync(readme, "utf8");
  const blocks: Omit<Block, "file">[] = [];
  let fragments = 0;
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
    const code = match[1]!;
    if (/^\/\/ fragment\b/.test(code)) {
      fragments++;
      continue;
    }
    const line = text.slice(0, match.index).split("\n").length + 1;
    blocks.push({ readme, line, code });
  }
  return { blocks, fragments };
}

/** Links each bare import of the blocks into `workDir/node_modules`, from the package that has it. */
function linkModules(blocks: Block[], packages: Map<string, string>): string[] {
  const missing: string[] = [];
  const names = new Set<string>();
  for (const block of blocks) {
    for (const match of block.code.matchAll(/^\s*import\s[^;]*?from\s+"([^"]+)"/gm)) {
      const specifier = match[1]!;
      if (specifier.startsWith("node:") || specifier.startsWith(".")) continue;
      const parts = specifier.split("/");
      names.add(specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!);
    }
  }
  // A package without its own declarations has them in @types/<name> (pg): link both.
  for (const name of [...names]) {
    const types = `@types/${name.startsWith("@") ? name.slice(1).replace("/", "__") : name}`;
    if ([...packages.values()].some((dir) => existsSync(join(dir, "node_modules", types)))) names.add(types);
  }
  for (const name of names) {
    const target =
      packages.get(name) ??
      [...packages.values()].map((dir) => join(dir, "node_modules", name)).find((dir) => existsSync(dir));
    if (!target) {
      missing.push(name);
      continue;
    }
    const link = join(workDir, "node_modules", name);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(realpathSync(target), link, "dir");
  }
  return missing;
}

function main(): number {
  const packages = workspacePackages();
  rmSync(workDir, { recursive: true, force: true });
  mkdirSync(workDir, { recursive: true });
  const blocks: Block[] = [];
  let fragments = 0;
  for (const readme of readmes(packages)) {
    const found = blocksOf(readme);
    fragments += found.fragments;
    const slug = relative(root, readme)
      .replace(/[^A-Za-z0-9]+/g, "-")
      .toLowerCase();
    for (const [index, block] of found.blocks.entries())
      blocks.push({ ...block, file: `${slug}-${index + 1}.mts` });
  }
  for (const block of blocks) writeFileSync(join(workDir, block.file), block.code);
  const missing = linkModules(blocks, packages);
  if (missing.length > 0) {
    process.stderr.write(`README blocks import modules no workspace package has: ${missing.join(", ")}\n`);
    return 1;
  }
  writeFileSync(join(workDir, "package.json"), `${JSON.stringify({ type: "module", private: true })}\n`);
  writeFileSync(
    join(workDir, "tsconfig.json"),
    `${JSON.stringify(
      {
        compilerOptions: {
          strict: true,
          module: "nodenext",
          moduleResolution: "nodenext",
          target: "es2022",
          lib: ["es2023"],
          types: ["node"],
          noEmit: true,
          skipLibCheck: true,
        },
        files: blocks.map((block) => block.file),
      },
      null,
      2,
    )}\n`,
  );
  const tsc = join(root, "node_modules", "typescript", "bin", "tsc");
  const result = spawnSync(
    process.execPath,
    [tsc, "-p", join(workDir, "tsconfig.json"), "--pretty", "false"],
    {
      encoding: "utf8",
    },
  );
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`;
  // file.mts(line,col): error TS...: point at the README line instead.
  const byFile = new Map(blocks.map((block) => [block.file, block]));
  const errors = output
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const match = /^(?:.*\/)?([\w.-]+\.mts)\((\d+),(\d+)\): (.*)$/.exec(line);
      const block = match ? byFile.get(match[1]!) : undefined;
      if (!match || !block) return line;
      return `${relative(root, block.readme)}:${block.line + Number(match[2]) - 1}:${match[3]}: ${match[4]}`;
    });
  if (result.status !== 0) {
    process.stderr.write(
      `${errors.join("\n")}\n\nREADME TypeScript blocks must type-check (--strict, nodenext); a block that is a fragment says so on its first line: // fragment: <what it assumes>\n`,
    );
    return 1;
  }
  process.stdout.write(
    `README blocks: ${blocks.length} type-checked (--strict, nodenext), ${fragments} marked as fragments\n`,
  );
  return 0;
}

process.exitCode = main();
