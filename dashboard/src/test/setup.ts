import { afterEach } from "vitest";
import { cleanup } from "@testing-library/react";

// jsdom has no layout: charts measure a container of size zero and draw nothing, which is
// fine here (their numbers are asserted through the tables next to them)
class ResizeObserverStub {
  observe() {}
  unobserve() {}
  disconnect() {}
}
globalThis.ResizeObserver ??= ResizeObserverStub as unknown as typeof ResizeObserver;

afterEach(() => cleanup());
