// The Node.js reference for tests/bench/run: a socket.io 4.8 server with default options serving
// the bench app that `sioc --bench-app` also serves, so that the two can be measured side by side.
//   - every socket joins the room `bench` on connection;
//   - `echo` is acknowledged with its own arguments;
//   - `broadcast` emits its payload to the room `bench` (the sender included) as `broadcast`.
// bufferutil is installed as the socket.io docs recommend for performance (ws then masks and
// unmasks frames natively), so that Node is measured in its recommended configuration.
// Usage: node server.js --port P [--host H]. Prints `ready port=P pid=N bufferutil=yes|no` once
// listening; exits on SIGTERM/SIGINT.
"use strict";
const { createServer } = require("node:http");
const { Server } = require("socket.io");

function arg(name, dflt) {
  const i = process.argv.indexOf(name);
  return i > 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}

const port = Number(arg("--port", "3000"));
const host = arg("--host", undefined);
const httpServer = createServer();
const io = new Server(httpServer);

io.on("connection", (socket) => {
  socket.join("bench");
  socket.on("echo", (...args) => {
    const ack = args.pop();
    if (typeof ack === "function") ack(...args);
  });
  socket.on("broadcast", (payload) => {
    io.to("bench").emit("broadcast", payload);
  });
});

let bufferutil = "no";
try {
  require("bufferutil");
  bufferutil = "yes";
} catch {
  // optional: ws falls back to JavaScript masking
}

httpServer.listen(port, host, () => {
  console.log(`ready port=${httpServer.address().port} pid=${process.pid} bufferutil=${bufferutil}`);
});
for (const sig of ["SIGTERM", "SIGINT"]) process.on(sig, () => process.exit(0));
