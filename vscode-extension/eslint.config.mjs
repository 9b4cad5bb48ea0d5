import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "out/", ".e2e/", "node_modules/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Scripts node runs directly (the e2e driver, the build).
    files: ["**/*.mjs"],
    languageOptions: {
      globals: Object.fromEntries(
        ["process", "console", "Buffer", "fetch", "WebSocket", "URL", "setTimeout", "clearTimeout", "setInterval", "clearInterval"].map(
          (name) => [name, "readonly"],
        ),
      ),
    },
  },
  {
    rules: {
      eqeqeq: "error",
      "@typescript-eslint/no-floating-promises": "off",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
);
