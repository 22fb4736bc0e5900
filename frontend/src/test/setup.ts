// Unmount what a test rendered and forget its session, so tests cannot lean on each other.
import { cleanup } from "@testing-library/react";
import { afterEach } from "vitest";

afterEach(() => {
  cleanup();
  sessionStorage.clear();
  window.location.hash = "";
});
