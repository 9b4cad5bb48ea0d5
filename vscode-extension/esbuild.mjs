// Bundles the extension and vscode-languageclient into one file, so the
// .vsix carries a single script instead of node_modules/ (thousands of files).
import * as esbuild from "esbuild";

const options = {
  entryPoints: ["src/extension.ts"],
  bundle: true,
  outfile: "dist/extension.js",
  format: "cjs",
  platform: "node",
  target: "node20",
  external: ["vscode"],
  sourcemap: false,
  minify: true,
  logLevel: "info",
  // The activation time measured by the end-to-end run starts here.
  banner: { js: "globalThis.__assetryLoadStart = performance.now();" },
};

if (process.argv.includes("--watch")) {
  const ctx = await esbuild.context({ ...options, sourcemap: true, minify: false });
  await ctx.watch();
} else {
  await esbuild.build(options);
}
