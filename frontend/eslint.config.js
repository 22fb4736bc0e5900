// The lint rules live with their own packages in lint/ (see lint/package.json); this file only
// makes the web app's folder the base the file patterns are read from.
export { default } from "./lint/eslint.config.js";
