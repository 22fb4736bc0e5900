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
  // SHORT-LIVED: these two views are being rewritten (virtualized lists) on another branch; their
  // findings are fixed there, and this block goes when that lands. Only the rules they trip today.
  {
    files: ["src/components/BudgetsView.tsx"],
    rules: {
      "react-hooks/exhaustive-deps": "off", // l.104: reloads on `finished` without `load`
      "react-hooks/set-state-in-effect": "off", // l.68, 93, 103: load/switchTo called in effects
      "react-hooks/immutability": "off", // l.119: window.location.hash set in changeFilter
      "react-hooks/refs": "off", // l.126, 293: knownRows / buttons refs read during render
    },
  },
  {
    files: ["src/components/ProjectBudgetView.tsx"],
    rules: {
      "react-hooks/set-state-in-effect": "off", // l.51: load() called in an effect
    },
  },
]);
