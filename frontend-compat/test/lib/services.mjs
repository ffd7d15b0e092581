// services.mjs - a private PostgreSQL 15 and a private Redis for the suites that stop and start
// them during traffic (abuse-outage): the shared ones of scripts/test must stay up for the other
// suites. Each runs on a free port in a temporary directory; stop() and start() keep the data
// (Redis keeps nothing: --save ''), destroy() removes everything.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

const PGBIN = "/usr/lib/postgresql/15/bin";

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")}: ${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** A PostgreSQL cluster with database `chat`: {url, stop(), start(), destroy()}. */
export async function startPostgres() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-outage-pg."));
  const asPg = process.getuid() === 0 ? ["runuser", "-u", "postgres", "--"] : [];
  if (asPg.length) run("chown", ["postgres:postgres", dir]);
  const pg = (bin, args) => run(asPg.length ? asPg[0] : path.join(PGBIN, bin), asPg.length ? [...asPg.slice(1), path.join(PGBIN, bin), ...args] : args);
  pg("initdb", ["-D", dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"]);
  const start = () =>
    pg("pg_ctl", ["-D", dir, "-l", path.join(dir, "server.log"), "-w", "-t", "30", "-o", `-p ${port} -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off`, "start"]);
  start();
  execFileSync("psql", ["-q", "-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "-c", "CREATE DATABASE chat"]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/chat`,
    /** An immediate stop: what a crash or a failover looks like to the clients. */
    stop: () => pg("pg_ctl", ["-D", dir, "-m", "immediate", "-w", "stop"]),
    start,
    destroy() {
      try {
        pg("pg_ctl", ["-D", dir, "-m", "immediate", "-w", "stop"]);
      } catch {
        /* already stopped */
      }
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A Redis server: {url, stop(), start(), destroy()}. */
export async function startRedis() {
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sioc-outage-redis."));
  const pidfile = path.join(dir, "redis.pid");
  const start = async () => {
    run("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "yes", "--pidfile", pidfile, "--logfile", path.join(dir, "log"), "--dir", dir]);
    for (let i = 0; i < 100; i++) {
      if (spawnSync("redis-cli", ["-p", String(port), "ping"], { encoding: "utf8" }).stdout?.includes("PONG")) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("redis did not start");
  };
  await start();
  const stop = () => spawnSync("redis-cli", ["-p", String(port), "shutdown", "nosave"]);
  return { url: `redis://127.0.0.1:${port}`, stop, start, destroy: () => (stop(), fs.rmSync(dir, { recursive: true, force: true })) };
}
