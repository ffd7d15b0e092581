// reference/redis-node.mjs - a Node.js socket.io 4.8 node with @socket.io/redis-adapter 8.x, the
// peer that test/redis-*.test.mjs puts in the same cluster as a sioc node (`sioc --echo --redis`).
//
// Usage: node reference/redis-node.mjs --port 0 --redis redis://127.0.0.1:PORT
// Prints `sioc listening on http://127.0.0.1:PORT` once listening (both Redis clients are
// connected by then; the adapter's subscriptions follow, so tests wait for PUBSUB NUMSUB).
//
// Design: the test-helper events of docs/echo-app.md (same names, arguments and answers as
// reference/sio-echo.mjs and src/echo_app.c) on `/` and `/custom`, plus what only a cluster
// needs: `server-side-emit-with-ack` (event, args, ack) answers {err, responses} of
// serverSideEmitWithAck, `all-rooms` (ack) answers the adapter's allRooms() sorted, and the
// server-side events ss-ping, ss-hello and ss-ack that reach this node are re-emitted to its
// local clients as `server-side` (nsp name, event, ...args) and, if the sender wants an ack,
// answered with `ack:<event>`.
import http from 'node:http';
import { Server } from 'socket.io';
import { createClient } from 'redis';
import { createAdapter } from '@socket.io/redis-adapter';

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
const io = new Server(httpServer, { adapter: createAdapter(pubClient, subClient), serveClient: false });

const sortedRooms = (socket) => [...socket.rooms].sort();
const asList = (v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
const call = (fn, ...a) => {
    if (typeof fn === 'function') fn(...a);
};

function register(nsp) {
    // server-side events from the other nodes
    const forward = (event) => (...a) => {
        const ack = typeof a[a.length - 1] === 'function' ? a.pop() : null;
        nsp.local.emit('server-side', nsp.name, event, ...a);
        if (ack) ack(`ack:${event}`);
    };
    for (const event of ['ss-ping', 'ss-hello', 'ss-ack']) nsp.on(event, forward(event));

    nsp.on('connection', (socket) => {
        socket.emit('auth', socket.handshake.auth);
        socket.on('message', (...a) => socket.emit('message-back', ...a));
        socket.on('join', (room, ack) => {
            socket.join(room);
            call(ack, sortedRooms(socket));
        });
        socket.on('leave', (room, ack) => {
            socket.leave(room);
            call(ack, sortedRooms(socket));
        });
        socket.on('rooms', (ack) => call(ack, sortedRooms(socket)));
        socket.on('broadcast', (o, ack) => {
            let op = o.includeSelf ? nsp : socket.broadcast;
            if (o.rooms) op = op.to(o.rooms);
            if (o.except) op = op.except(o.except);
            if (o.volatile) op = op.volatile;
            if (o.local) op = op.local;
            if (o.compress !== undefined) op = op.compress(!!o.compress);
            op.emit(o.event, ...asList(o.args));
            call(ack, true);
        });
        socket.on('broadcast-with-ack', (o, ack) => {
            let op = o.includeSelf ? nsp : socket.broadcast;
            if (o.rooms) op = op.to(o.rooms);
            if (o.except) op = op.except(o.except);
            op.timeout(o.timeout ?? 5000).emit(o.event, ...asList(o.args), (err, responses) => {
                call(ack, { err: err ? err.message : null, responses });
            });
        });
        const target = (o) => (o && o.rooms ? nsp.in(o.rooms) : nsp);
        socket.on('fetch-sockets', async (o, ack) => {
            if (typeof o === 'function') [o, ack] = [{}, o];
            try {
                const sockets = await target(o).fetchSockets();
                const list = sockets.map((s) => ({ id: s.id, rooms: [...s.rooms].sort(), data: s.data }));
                list.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
                call(ack, list);
            } catch (e) {
                call(ack, { err: e.message });
            }
        });
        socket.on('sockets-join', (o, ack) => {
            target(o).socketsJoin(o.join);
            call(ack, true);
        });
        socket.on('sockets-leave', (o, ack) => {
            target(o).socketsLeave(o.leave);
            call(ack, true);
        });
        socket.on('disconnect-sockets', (o) => target(o).disconnectSockets(!!(o && o.close)));
        socket.on('set-data', (value, ack) => {
            socket.data = value;
            call(ack, true);
        });
        socket.on('all-rooms', async (ack) => {
            try {
                call(ack, [...(await nsp.adapter.allRooms())].sort());
            } catch (e) {
                call(ack, { err: e.message });
            }
        });
        socket.on('server-side-emit', (event, a) => nsp.serverSideEmit(event, ...asList(a)));
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
