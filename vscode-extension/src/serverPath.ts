// Where the `assetry` binary is. No `vscode` import: node's test runner
// exercises this directly.
import * as path from "node:path";

export interface PathEnv {
  /** The `assetry.server.path` setting, as the user wrote it ("" when unset). */
  setting: string;
  /** The extension host's `PATH`. */
  pathVar: string | undefined;
  platform: NodeJS.Platform;
  home: string;
  /** First workspace folder, for a relative setting. */
  workspaceFolder: string | undefined;
  /** True when `file` exists and can be run. */
  isExecutable: (file: string) => boolean;
}

export type Resolution =
  | { ok: true; path: string; from: "setting" | "PATH" }
  | { ok: false; message: string };

const binaryName = (platform: NodeJS.Platform) => (platform === "win32" ? "assetry.exe" : "assetry");

/**
 * The server binary: the setting when it is set (and then only the setting:
 * a wrong setting is reported, not silently replaced by another binary from
 * PATH), else the first `assetry` on PATH.
 */
export function resolveServerPath(env: PathEnv): Resolution {
  const setting = env.setting.trim();
  if (setting !== "") {
    let file = setting;
    if (file === "~" || file.startsWith("~/")) {
      file = path.join(env.home, file.slice(1));
    } else if (!path.isAbsolute(file)) {
      if (env.workspaceFolder === undefined) {
        return {
          ok: false,
          message: `The setting assetry.server.path is the relative path "${setting}", but no folder is open to take it from.`,
        };
      }
      file = path.join(env.workspaceFolder, file);
    }
    if (env.isExecutable(file)) {
      return { ok: true, path: file, from: "setting" };
    }
    return {
      ok: false,
      message: `The setting assetry.server.path names "${file}", which is not an executable file.`,
    };
  }
  const separator = env.platform === "win32" ? ";" : ":";
  const name = binaryName(env.platform);
  for (const dir of (env.pathVar ?? "").split(separator)) {
    // An empty PATH entry means the current folder, which is not a
    // meaningful place for the extension host to find a server.
    if (dir === "") continue;
    const file = path.join(dir, name);
    if (env.isExecutable(file)) {
      return { ok: true, path: file, from: "PATH" };
    }
  }
  return {
    ok: false,
    message: `The Assetry language server was not found: "${name}" is not on PATH and the setting assetry.server.path is empty.`,
  };
}
