// Entry point: read the runtime config, then start the app.

import { createRoot } from "react-dom/client";
import { loadRuntimeConfig } from "./api";
import { App } from "./components/App";
import "./styles.css";

void loadRuntimeConfig().then((config) => {
  createRoot(document.getElementById("root")!).render(<App config={config} />);
});
