// Test helper shared by the packages: runs the TypeScript examples of a README exactly as written.
// An example is a ```ts block whose first line is `// example: <name>`.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface ReadmeExample {
  name: string;
  code: string;
}

/** The examples of `packageDir/README.md`, in order. */
export function readmeExamples(packageDir: string): ReadmeExample[] {
  const readme = readFileSync(join(packageDir, "README.md"), "utf8");
  const examples: ReadmeExample[] = [];
  for (const match of readme.matchAll(/```ts\n(\/\/ example: ([\w-]+)\n[\s\S]*?)```/g)) {
    examples.push({ name: match[2]!, code: match[1]! });
  }
  return examples;
}

/**
 * Writes an example to `packageDir/.examples/<name>.ts` (git-ignored) and imports it, capturing
 * what it logs. Vitest transforms it like any test file, so package imports resolve as for users.
 */
export async function runReadmeExample(packageDir: string, example: ReadmeExample): Promise<string> {
  const dir = join(packageDir, ".examples");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${example.name}.ts`);
  writeFileSync(file, example.code);
  const lines: string[] = [];
  const original = console.log;
  console.log = (...args: unknown[]) => {
    lines.push(args.map((arg) => (typeof arg === "string" ? arg : JSON.stringify(arg))).join(" "));
  };
  try {
    await import(/* @vite-ignore */ `${file}?t=${Date.now()}`);
  } finally {
    console.log = original;
  }
  return lines.join("\n");
}
