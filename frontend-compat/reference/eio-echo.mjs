// eio-echo.mjs - the reference Engine.IO echo server (engine.io@6 from node_modules) that the
// integration tests run against when SIOC_REFERENCE=1, to prove that they encode the real
// behaviour of the Node.js implementation. It accepts the same command-line flags as
// `sioc --echo` for the Engine.IO options, serves /engine.io/ and echoes every message (text or
// binary) back as it came. Prints `sioc listening on http://HOST:PORT` once listening, as sioc does,
// and exits with status 0 on SIGTERM/SIGINT.
import http from "node:http";
import { Server } from "engine.io";

function parseArgs(argv) {
  const flags = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith("--")) continue;
    let name = a.slice(2);
    let value;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    } else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) {
      value = argv[++i];
    } else {
      value = true;
    }
    if (name.startsWith("no-")) {
      name = name.slice(3);
      value = false;
    }
    if (value === "true") value = true;
    if (value === "false") value = false;
    flags[name] = value;
  }
  return flags;
}

const flags = parseArgs(process.argv.slice(2));
const opts = {};
if (flags["ping-interval"] !== undefined) opts.pingInterval = Number(flags["ping-interval"]);
if (flags["ping-timeout"] !== undefined) opts.pingTimeout = Number(flags["ping-timeout"]);
if (flags["upgrade-timeout"] !== undefined) opts.upgradeTimeout = Number(flags["upgrade-timeout"]);
if (flags["max-http-buffer-size"] !== undefined)
  opts.maxHttpBufferSize = Number(flags["max-http-buffer-size"]);
if (flags["transports"] !== undefined)
  opts.transports = String(flags["transports"])
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
if (flags["allow-eio3"]) opts.allowEIO3 = true;
if (flags["allow-upgrades"] === false) opts.allowUpgrades = false;
if (flags["http-compression"] === false) opts.httpCompression = false;
if (flags["cors-origin"] !== undefined) {
  const o = String(flags["cors-origin"]);
  opts.cors = { origin: o === "*" ? "*" : o.includes(",") ? o.split(",") : o };
  if (flags["cors-credentials"]) opts.cors.credentials = true;
}
if (flags["cookie"] !== undefined) {
  opts.cookie = { name: flags["cookie"] === true ? "io" : String(flags["cookie"]) };
}

const httpServer = http.createServer((req, res) => {
  res.writeHead(404, { "Content-Type": "text/plain" });
  res.end("Not Found");
});
const engine = new Server(opts);
engine.attach(httpServer, { path: "/engine.io/" });
engine.on("connection", (socket) => {
  socket.on("message", (data) => socket.send(data));
  socket.on("error", () => {});
});

const host = "127.0.0.1";
const port = flags["port"] !== undefined ? Number(flags["port"]) : 0;
httpServer.listen(port, host, () => {
  process.stdout.write(`sioc listening on http://${host}:${httpServer.address().port}\n`);
});

let stopping = false;
function stop() {
  if (stopping) return;
  stopping = true;
  engine.close();
  httpServer.close(() => process.exit(0));
  httpServer.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
