// The commands package.json contributes (a unit test keeps the two in step).
// No `vscode` import (tested by node).
export const COMMAND_IDS = [
  "assetry.checkProject",
  "assetry.convertToIds",
  "assetry.showDependents",
  "assetry.restartServer",
  "assetry.showServerLog",
  "assetry.refreshDependencies",
] as const;

export type CommandId = (typeof COMMAND_IDS)[number];
