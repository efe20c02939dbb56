/**
 * The element's bundle, the one asset the server serves: where it is looked for.
 *
 * @module
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ViewError } from "./errors.js";

/** The file name of the element's bundle. */
export const ASSET_NAME = "replan-view.js";

/**
 * The path of the element's bundle: in `assetDir`, or next to the package's build.
 *
 * @throws {ViewError} `asset-missing` when it is not there (the package is not built).
 */
export function findAsset(assetDir: string | undefined): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = assetDir
    ? [join(assetDir, ASSET_NAME)]
    : [join(here, "browser", ASSET_NAME), join(here, "..", "dist", "browser", ASSET_NAME)];
  const found = candidates.find((file) => existsSync(file));
  if (!found) {
    throw new ViewError(
      "asset-missing",
      `the element's bundle is not built (looked for ${candidates.join(", ")}): run the package's build`,
    );
  }
  return found;
}
