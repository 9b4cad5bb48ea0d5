// The status bar item's text and tooltip. No `vscode` import (tested by node).

/**
 * What the server has told us. Only the diagnostic counts are fed today:
 * processing progress arrives as `$/progress`, which VS Code shows itself,
 * and the server sends no flavour or connected games, so those fields stay
 * undefined until it sends notifications for them.
 */
export interface StatusInput {
  state: "starting" | "running" | "stopped" | "failed";
  errors: number;
  warnings: number;
  flavour?: string;
  processing?: { done: number; total: number };
  games?: number;
}

export interface StatusView {
  text: string;
  tooltip: string;
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

export function statusView(s: StatusInput): StatusView {
  if (s.state === "starting") {
    return { text: "$(sync~spin) Assetry", tooltip: "Assetry: the language server is starting" };
  }
  if (s.state === "failed") {
    return { text: "$(warning) Assetry", tooltip: "Assetry: the language server is not running; see the Assetry output" };
  }
  if (s.state === "stopped") {
    return { text: "$(circle-slash) Assetry", tooltip: "Assetry: the language server stopped" };
  }
  const parts: string[] = [];
  parts.push(s.flavour === undefined ? "Assetry" : `Assetry (${s.flavour})`);
  parts.push(s.errors > 0 ? `$(error) ${s.errors}` : "$(check)");
  if (s.warnings > 0) parts.push(`$(warning) ${s.warnings}`);
  if (s.processing !== undefined && s.processing.done < s.processing.total) {
    parts.push(`$(sync~spin) ${s.processing.done}/${s.processing.total}`);
  }
  if (s.games !== undefined && s.games > 0) parts.push(`$(debug-alt) ${s.games}`);
  const tooltip = [
    `Assetry: ${plural(s.errors, "error")}, ${plural(s.warnings, "warning")}`,
    ...(s.games !== undefined ? [`${plural(s.games, "connected game")}`] : []),
    "Click to open the Problems view",
  ].join("\n");
  return { text: parts.join(" "), tooltip };
}
