// reference/redis-node.mjs - a Node.js socket.io 4.8 node with @socket.io/redis-adapter 8.x, the
// peer that test/redis-*.test.mjs puts in the same cluster as a sioc node (`sioc --echo --redis`).
//
// Usage: node reference/redis-node.mjs --port 0 --redis redis://127.0.0.1:PORT [--key PREFIX]
// Prints `sioc listening on http://127.0.0.1:PORT` once listening (both Redis clients are
// connected by then; the adapter's subscriptions follow, so tests wait for PUBSUB NUMSUB).
//
// Design: the test-helper events of docs/echo-app.md shared with reference/sio-echo.mjs
// (echo-handlers.mjs; same names, arguments and answers as src/apps/echo.c) on `/` and `/custom`,
// plus what only a cluster needs: `server-side-emit-with-ack` (event, args, ack) answers {err, responses} of
// serverSideEmitWithAck, `all-rooms` (ack) answers the adapter's allRooms() sorted, and the
// server-side events ss-ping, ss-hello and ss-ack that reach this node are re-emitted to its
// local clients as `server-side` (nsp name, event, ...args) and, if the sender wants an ack,
// answered with `ack:<event>`.
import http from 'node:http';
import { Server } from 'socket.io';
import { createClient } from 'redis';
import { createAdapter } from '@socket.io/redis-adapter';
import { registerEchoHandlers, asList, call } from './echo-handlers.mjs';

function parseArgs(argv) {
    const opts = {};
    for (let i = 0; i < argv.length; i++) {
        if (!argv[i].startsWith('--')) continue;
        opts[argv[i].slice(2)] = argv[i + 1];
        i++;
    }
    return opts;
}

const args = parseArgs(process.argv.slice(2));
if (!args.redis) {
    process.stderr.write('usage: redis-node.mjs --port N --redis redis://HOST:PORT\n');
    process.exit(2);
}
const pubClient = createClient({ url: args.redis });
const subClient = pubClient.duplicate();
pubClient.on('error', (e) => process.stderr.write(`redis pub: ${e.message}\n`));
subClient.on('error', (e) => process.stderr.write(`redis sub: ${e.message}\n`));
await Promise.all([pubClient.connect(), subClient.connect()]);

const httpServer = http.createServer();
const io = new Server(httpServer, { adapter: createAdapter(pubClient, subClient, args.key ? { key: args.key } : {}), serveClient: false });

function register(nsp) {
    // server-side events from the other nodes
    const forward = (event) => (...a) => {
        const ack = typeof a[a.length - 1] === 'function' ? a.pop() : null;
        nsp.local.emit('server-side', nsp.name, event, ...a);
        if (ack) ack(`ack:${event}`);
    };
    for (const event of ['ss-ping', 'ss-hello', 'ss-ack']) nsp.on(event, forward(event));

    nsp.on('connection', (socket) => {
        registerEchoHandlers(socket, nsp);
        socket.on('all-rooms', async (ack) => {
            try {
                call(ack, [...(await nsp.adapter.allRooms())].sort());
            } catch (e) {
                call(ack, { err: e.message });
            }
        });
        socket.on('server-side-emit-with-ack', async (event, a, ack) => {
            try {
                const responses = await nsp.serverSideEmitWithAck(event, ...asList(a));
                call(ack, { err: null, responses });
            } catch (e) {
                call(ack, { err: e.message });
            }
        });
    });
}

register(io.of('/'));
register(io.of('/custom'));

httpServer.listen(Number(args.port ?? 0), '127.0.0.1', () => {
    const { port } = httpServer.address();
    process.stdout.write(`sioc listening on http://127.0.0.1:${port}\n`);
});

function shutdown() {
    io.close();
    httpServer.closeAllConnections?.();
    Promise.allSettled([pubClient.quit(), subClient.quit()]).finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
