// server.mjs - starts the server under test for the integration suites.
//
// startSioc(args, {env}) spawns $SIOC_BIN with `--port 0` plus `args` and waits for its
// `sioc listening on http://HOST:PORT` stdout line. With SIOC_REFERENCE=1 it starts the Node
// reference server (reference/eio-echo.mjs, engine.io@6) instead, with the same flags, so that
// the suites can prove they encode the reference's real behaviour. stop() sends SIGTERM, waits for
// the exit and ASSERTS a zero exit status (a sanitizer report makes it non-zero), showing the
// captured stderr when it is not. Timeouts scale up under the sanitizer build
// (SIOC_TEST_SANITIZED=1), which is several times slower.
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
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

/** Starts the server; resolves {port, url, proc, stop(), stderr()}. */
export function startSioc(args = [], { env = {}, startTimeout = T(15000) } = {}) {
  let cmd;
  let argv;
  if (REFERENCE) {
    cmd = process.execPath;
    argv = [path.join(here, "..", "..", "reference", "eio-echo.mjs"), "--port", "0", ...args];
  } else {
    cmd = process.env.SIOC_BIN;
    if (!cmd) throw new Error("SIOC_BIN is not set (or set SIOC_REFERENCE=1)");
    argv = ["--port", "0", ...args];
  }
  const proc = spawn(cmd, argv, {
    env: { ...process.env, ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  let stdout = "";
  proc.stderr.setEncoding("utf8");
  proc.stderr.on("data", (d) => {
    stderr += d;
    if (stderr.length > STDERR_KEEP) stderr = stderr.slice(-STDERR_KEEP);
  });
  const exited = new Promise((resolve) => {
    proc.once("exit", (code, signal) => resolve({ code, signal }));
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill("SIGKILL");
      reject(new Error(`server did not print its listening line in time\nstderr:\n${stderr}`));
    }, startTimeout);
    proc.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`server exited early (code ${code}, signal ${signal})\nstderr:\n${stderr}`));
    });
    proc.stdout.setEncoding("utf8");
    proc.stdout.on("data", (d) => {
      stdout += d;
      const m = /sioc listening on http:\/\/([^\s:]+|\[[^\]]+\]):(\d+)/.exec(stdout);
      if (m && timer) {
        clearTimeout(timer);
        const port = Number(m[2]);
        const host = m[1] === "0.0.0.0" ? "127.0.0.1" : m[1];
        const url = `http://${host}:${port}`;
        let stopping = null;
        resolve({
          port,
          url,
          host,
          proc,
          stderr: () => stderr,
          /** SIGTERM, wait for the exit, assert status 0; resolves with the exit code. */
          stop(timeout = T(10000)) {
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
                assert.equal(
                  res.code,
                  0,
                  `server exit code ${res.code} signal ${res.signal}\nstderr:\n${stderr}`,
                );
                return res.code;
              })();
            }
            return stopping;
          },
        });
      }
    });
  });
}

/** The echo server (`sioc --echo`) with extra flags. */
export function startEcho(args = [], opts = {}) {
  return startSioc(["--echo", ...args], opts);
}
