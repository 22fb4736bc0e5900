// ESLint for the web app (frontend/src): the recommended JavaScript and typescript-eslint rules and
// React's hooks rules, including the React Compiler's (purity, refs, set-state-in-effect,
// immutability, ...). Run by `make lint` through ../eslint.config.js, which places it in the web
// app's folder, with `--max-warnings 0`: a warning fails the lint like an error. The plugins
// resolve from this package (see package.json).
import js from "@eslint/js";
import { defineConfig } from "eslint/config";
import reactHooks from "eslint-plugin-react-hooks";
import globals from "globals";
import tseslint from "typescript-eslint";

export default defineConfig([
  {
    files: ["src/**/*.{ts,tsx}"],
    ignores: ["src/api.gen.ts"],
    extends: [js.configs.recommended, tseslint.configs.recommended, reactHooks.configs.flat["recommended-latest"]],
    languageOptions: { globals: globals.browser },
  },
]);
