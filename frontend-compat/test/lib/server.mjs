// server.mjs - starts the server under test for the integration suites.
//
// startProcess(cmd, argv) spawns a server and waits for its `sioc listening on http://HOST:PORT`
// stdout line; it is the one spawn helper of every suite (sioc, the Node reference servers and the
// Node Redis-cluster peer). stop() sends SIGTERM, waits for the exit and ASSERTS a zero exit
// status (a sanitizer report makes it non-zero), showing the captured stderr when it is not.
// Servers still running when the test process ends (a failed or timed-out file) are killed, so
// that no server outlives its test file.
// startSioc(args, {port, reference}) runs $SIOC_BIN with `--port PORT` plus `args`; with
// SIOC_REFERENCE=1 it starts the Node reference server reference/<reference> (eio-echo.mjs,
// engine.io@6, by default) instead, with the same flags, so that the suites can prove they encode
// the reference's real behaviour. Timeouts scale up under the sanitizer build
// (SIOC_TEST_SANITIZED=1), which is several times slower.
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const REFERENCE = process.env.SIOC_REFERENCE === "1";
export const SANITIZED = process.env.SIOC_TEST_SANITIZED === "1";
/** Scales a timeout in milliseconds for slow (sanitizer) builds. */
export function T(ms) {
  return SANITIZED ? ms * 4 : ms;
}

const STDERR_KEEP = 64 * 1024;

const live = new Set();
// attachments of a server on PostgreSQL started without --media-dir: a temp directory of this
// test process (their default, data/media, would land in the working tree)
let mediaTmp = null;
function mediaArgs(args) {
  const i = args.indexOf("--database");
  if (i < 0 || args.includes("--media-dir") || !/^postgres/.test(args[i + 1] ?? "")) return [];
  mediaTmp ??= fs.mkdtempSync(path.join(os.tmpdir(), "sioc-media-"));
  return ["--media-dir", mediaTmp];
}
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
  if (mediaTmp) fs.rmSync(mediaTmp, { recursive: true, force: true });
});
for (const sig of ["SIGTERM", "SIGINT"]) {
  process.once(sig, () => {
    for (const p of live) p.kill("SIGKILL");
    process.exit(1);
  });
}

/**
 * Spawns `cmd argv` and resolves {port, url, host, proc, stderr(), stop(timeout)} once it printed
 * its listening line; rejects if it exits or fails to start first, or after `startTimeout` ms.
 */
export function startProcess(cmd, argv, { env = {}, startTimeout = T(15000), stopTimeout = T(10000) } = {}) {
  const proc = spawn(cmd, argv, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(proc);
  let stderr = "";
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
  });
  const exited = new Promise((resolve) => {
    proc.once("exit", (code, signal) => {
      live.delete(proc);
      resolve({ code, signal });
    });
  });
  return new Promise((resolve, reject) => {
    let stdout = "";
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`server did not print its listening line in time\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, startTimeout);
    proc.once("error", (err) => {
      clearTimeout(timer);
      live.delete(proc);
      reject(new Error(`cannot start ${cmd}: ${err.message}`));
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}, signal ${signal})\nstderr:\n${stderr}`));
    });
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (d) => {
      stdout += d;
      const m = /sioc listening on http:\/\/([^\s:]+|\[[^\]]+\]):(\d+)/.exec(stdout);
      if (!m) return;
      clearTimeout(timer);
      // later output is drained unread
      proc.stdout.removeAllListeners("data");
      proc.stdout.resume();
      const port = Number(m[2]);
      const host = m[1] === "0.0.0.0" ? "127.0.0.1" : m[1];
      let stopping = null;
      resolve({
        port,
        url: `http://${host}:${port}`,
        host,
        proc,
        stderr: () => stderr,
        /** SIGTERM, wait for the exit, assert status 0; resolves with the exit code. */
        stop(timeout = stopTimeout) {
          if (!stopping) {
            stopping = (async () => {
              if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
              let killer;
              const res = await Promise.race([
                exited,
                new Promise((r) => {
                  killer = setTimeout(() => r(null), timeout);
                }),
              ]);
              clearTimeout(killer);
              if (res === null) {
                proc.kill("SIGKILL");
                await exited;
                assert.fail(`server did not exit within ${timeout} ms of SIGTERM\nstderr:\n${stderr}`);
              }
              assert.equal(res.code, 0, `server exit code ${res.code} signal ${res.signal}\nstderr:\n${stderr}`);
              return res.code;
            })();
          }
          return stopping;
        },
      });
    });
  });
}

/** Starts the server under test (or the reference server `reference`) with `args`. */
export function startSioc(args = [], { port = 0, reference = "eio-echo.mjs", ...opts } = {}) {
  if (REFERENCE) {
    const script = path.join(here, "..", "..", "reference", reference);
    return startProcess(process.execPath, [script, "--port", String(port), ...args], opts);
  }
  if (!process.env.SIOC_BIN) throw new Error("SIOC_BIN is not set (or set SIOC_REFERENCE=1)");
  return startProcess(process.env.SIOC_BIN, ["--port", String(port), ...args, ...mediaArgs(args)], opts);
}

/** The echo server (`sioc --echo`) with extra flags. */
export function startEcho(args = [], opts = {}) {
  return startSioc(["--echo", ...args], opts);
}
