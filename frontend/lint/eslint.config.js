// ESLint for the web app (frontend/src): the recommended JavaScript and typescript-eslint rules and
// React's hooks rules. Run by `make lint` through ../eslint.config.js, which places it in the web
// app's folder; the plugins resolve from this package (see package.json).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig([
  {
    files: ["src/**/*.{ts,tsx}"],
    ignores: ["src/api.gen.ts"],
    extends: [js.configs.recommended, tseslint.configs.recommended],
    languageOptions: { globals: globals.browser },
    plugins: { "react-hooks": reactHooks },
    // The rules of hooks, as the plugin has always recommended them. Its newer React Compiler rules
    // (set-state-in-effect, refs, immutability) still flag the data-loading effects: not yet on.
    rules: {
      "react-hooks/rules-of-hooks": "error",
      "react-hooks/exhaustive-deps": "warn",
    },
  },
]);
