// Starts a gateway for the browser tests: the debug binary `cargo test` built, a SQLite
// database of its own filled by `teliman-stats seed`, a short alert interval; tokens for an
// admin and a client. Everything is removed afterwards.

import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { TestProject } from "vitest/node";

declare module "vitest" {
  export interface ProvidedContext {
    base: string;
    adminToken: string;
    clientToken: string;
    database: string;
  }
}

const ROOT = resolve(__dirname, "../..");
export const BINARY = process.env.TELIMAN_BIN ?? join(ROOT, "target/debug/teliman-stats");

let server: ChildProcess | null = null;
let dir: string | null = null;

function run(args: string[], env: NodeJS.ProcessEnv): string {
  const out = spawnSync(BINARY, args, { env, encoding: "utf8" });
  if (out.status !== 0) throw new Error(`teliman-stats ${args[0]} failed: ${out.stderr}`);
  return out.stdout.trim();
}

export async function setup(project: TestProject) {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run cargo build (or cargo test) first`);
  dir = mkdtempSync(join(tmpdir(), "teliman-e2e-"));
  const database = join(dir, "e2e.db");
  const env = {
    ...process.env,
    DATABASE_URL: `sqlite://${database}?mode=rwc`,
    JWT_SECRET: "e2e-secret-of-the-browser-tests",
    ALERT_INTERVAL_SECONDS: "5",
    RUST_LOG: "warn",
  };
  run(["migrate"], env);
  run(["seed", "--users", "300", "--requests", "3000", "--days", "120", "--seed", "7"], env);
  const adminToken = run(["token", "--email", "admin@teliman.example", "--ttl-hours", "2"], env);
  const client = spawnSync("sqlite3", [database, "SELECT email FROM users WHERE role = 'client' ORDER BY id LIMIT 1"], { encoding: "utf8" });
  if (client.status !== 0) throw new Error(`sqlite3: ${client.stderr}`);
  const clientToken = run(["token", "--email", client.stdout.trim(), "--ttl-hours", "2"], env);
  server = spawn(BINARY, ["serve", "--bind", "127.0.0.1:0"], { env, stdio: ["ignore", "pipe", "inherit"] });
  const base = await new Promise<string>((ok, fail) => {
    let said = "";
    const timer = setTimeout(() => fail(new Error(`the gateway did not start: ${said}`)), 60_000);
    server!.stdout!.on("data", (chunk: Buffer) => {
      said += chunk.toString();
      const m = said.match(/dashboard: (http:\/\/[^/\s]+)\//);
      if (m) {
        clearTimeout(timer);
        ok(m[1]);
      }
    });
    server!.on("exit", (code) => fail(new Error(`the gateway exited (${code}): ${said}`)));
  });
  project.provide("base", base);
  project.provide("adminToken", adminToken);
  project.provide("clientToken", clientToken);
  project.provide("database", database);
}

export async function teardown() {
  server?.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  if (dir) rmSync(dir, { recursive: true, force: true });
}
