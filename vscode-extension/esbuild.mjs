// Bundles the extension into two files, so the .vsix carries two scripts
// instead of node_modules/ (thousands of files): dist/extension.js, the small
// entry point VS Code loads on activation, and dist/main.js, everything else
// with vscode-languageclient, which the entry point loads after activate()
// has returned.
import * as esbuild from "esbuild";

const common = {
  bundle: true,
  format: "cjs",
  platform: "node",
  target: "node20",
  external: ["vscode", "./main.js"],
  sourcemap: false,
  minify: true,
  logLevel: "info",
};
const builds = [
  {
    ...common,
    entryPoints: ["src/extension.ts"],
    outfile: "dist/extension.js",
    // The activation time measured by the end-to-end run starts here.
    banner: { js: "globalThis.__assetryLoadStart = performance.now();" },
    footer: { js: "globalThis.__assetryLoadEnd = performance.now();" },
  },
  { ...common, entryPoints: ["src/main.ts"], outfile: "dist/main.js" },
];

if (process.argv.includes("--watch")) {
  for (const options of builds) {
    const ctx = await esbuild.context({ ...options, sourcemap: true, minify: false });
    await ctx.watch();
  }
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
