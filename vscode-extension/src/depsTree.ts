// The tree shown by the "Asset Dependencies" view, built from the result of
// the server's `assetry/dependencies` request. No `vscode` import (tested by node).

/** One node of `assetry/dependencies`, as the README documents it. */
export interface DependencyNode {
  uri: string;
  path: string;
  id: string | null;
  kind: "build" | "load" | "weak";
  cycle: boolean;
  children: DependencyNode[];
}

export interface DependenciesResult {
  uri: string;
  path: string;
  id: string | null;
  dependencies: DependencyNode[];
  dependents: DependencyNode[];
  truncated: boolean;
}

export interface TreeItemModel {
  label: string;
  description?: string;
  tooltip?: string;
  /** The file a click opens; absent on group headers. */
  uri?: string;
  /** A theme icon id. */
  icon: string;
  children: TreeItemModel[];
}

const kindIcon: Record<DependencyNode["kind"], string> = {
  build: "tools",
  load: "arrow-right",
  weak: "link",
};

function fileName(p: string): string {
  const slash = p.lastIndexOf("/");
  return slash < 0 ? p : p.slice(slash + 1);
}

function folderOf(p: string): string {
  const slash = p.lastIndexOf("/");
  return slash < 0 ? "" : p.slice(0, slash);
}

function nodeItem(n: DependencyNode): TreeItemModel {
  const folder = folderOf(n.path);
  const description = [n.kind, ...(n.cycle ? ["cycle"] : []), ...(folder !== "" ? [folder] : [])].join(" · ");
  return {
    label: fileName(n.path),
    description,
    tooltip: `${n.path}\n${n.kind} dependency${n.id !== null ? `\nid ${n.id}` : ""}${n.cycle ? "\nalready on this branch (a cycle)" : ""}`,
    uri: n.uri,
    icon: n.cycle ? "sync" : kindIcon[n.kind],
    children: n.children.map(nodeItem),
  };
}

/**
 * Two groups, "Dependencies" and "Dependents", each a tree of assets labelled
 * with the file name and described by kind (and folder). `null` (a file outside
 * every project) gives one explanatory row.
 */
export function buildTree(result: DependenciesResult | null): TreeItemModel[] {
  if (result === null) {
    return [{ label: "Not an asset of an Assetry project", icon: "info", children: [] }];
  }
  const group = (label: string, nodes: DependencyNode[]): TreeItemModel => ({
    label,
    description: `${nodes.length}${result.truncated ? "+" : ""}`,
    tooltip: result.truncated ? "Cut at 2,000 nodes" : undefined,
    icon: label === "Dependencies" ? "arrow-down" : "arrow-up",
    children: nodes.map(nodeItem),
  });
  return [group("Dependencies", result.dependencies), group("Dependents", result.dependents)];
}

/** Every node of a tree once, depth first, for the "Show Dependents" pick list. */
export function flatten(nodes: DependencyNode[]): DependencyNode[] {
  const out: DependencyNode[] = [];
  const seen = new Set<string>();
  const walk = (list: DependencyNode[]) => {
    for (const n of list) {
      if (!seen.has(n.uri)) {
        seen.add(n.uri);
        out.push(n);
      }
      walk(n.children);
    }
  };
  walk(nodes);
  return out;
}
