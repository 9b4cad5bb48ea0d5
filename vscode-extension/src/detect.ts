// Whether a workspace is an Assetry one, and how to highlight a `.meta` file.
// No `vscode` import (tested by node).

/**
 * True when a Cargo.toml declares a dependency on Bevy (`bevy` or any
 * `bevy_*` crate) in any dependencies table, including target-specific and
 * workspace ones, inline (`bevy = "0.16"`) or as a sub-table
 * (`[dependencies.bevy]`).
 */
export function cargoDependsOnBevy(cargoToml: string): boolean {
  let inDeps = false;
  for (const raw of cargoToml.split(/\r?\n/)) {
    const line = raw.replace(/#.*$/, "").trim();
    if (line === "") continue;
    const header = /^\[\s*([^\]]+?)\s*\]$/.exec(line);
    if (header !== null) {
      const name = header[1].replace(/\s+/g, "");
      const segments = name.split(".");
      const depsAt = segments.findIndex((s) => /^(dev-|build-)?dependencies$/.test(s));
      if (depsAt >= 0 && depsAt === segments.length - 2 && isBevy(segments[depsAt + 1])) return true;
      inDeps = depsAt >= 0 && depsAt === segments.length - 1;
      continue;
    }
    if (inDeps) {
      const key = /^["']?([A-Za-z0-9_-]+)["']?\s*(\.|=)/.exec(line);
      if (key !== null && isBevy(key[1])) return true;
    }
  }
  return false;
}

function isBevy(crate: string): boolean {
  const name = crate.replace(/^["']|["']$/g, "");
  return name === "bevy" || name.startsWith("bevy_") || name.startsWith("bevy-");
}

/**
 * How to highlight a `.meta`: RON when its first non-blank character is `(`
 * (Bevy's meta files), else TOML (Assetry's). The server has no project
 * flavours yet, so this looks at the file alone.
 */
export function metaSyntax(text: string): "toml" | "ron" {
  const first = /\S/.exec(text);
  return first !== null && first[0] === "(" ? "ron" : "toml";
}
