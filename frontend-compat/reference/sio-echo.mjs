// reference/sio-echo.mjs - the reference Socket.IO echo app on the Node.js socket.io server.
//
// Implements docs/echo-app.md with socket.io@4.8 / engine.io@6 so that the integration tests
// (test/socketio-*.test.mjs) can be run against real socket.io (SIOC_REFERENCE=1) to prove that
// they encode genuine socket.io behaviour. It takes the same command-line flags as `sioc --echo`
// and prints the same `sioc listening on http://127.0.0.1:PORT` line once it listens.
//
// Design: one http.Server; socket.io attached on /socket.io/ and a raw engine.io echo on
// /engine.io/, both with the Engine.IO options from the command line. The test helpers (those it
// shares with redis-node.mjs in echo-handlers.mjs, plus its own) are registered on `/`, `/custom`
// and (with --echo-extras) the dynamic `/dyn-*` namespaces.
import http from 'node:http';
import { Server } from 'socket.io';
import { Server as EngineServer } from 'engine.io';
import { registerEchoHandlers, sortedRooms, asList, call } from './echo-handlers.mjs';

function parseArgs(argv) {
    const opts = {};
    for (let i = 0; i < argv.length; i++) {
        let a = argv[i];
        if (!a.startsWith('--')) continue;
        let value;
        const eq = a.indexOf('=');
        if (eq >= 0) {
            value = a.slice(eq + 1);
            a = a.slice(0, eq);
        }
        const name = a.slice(2);
        const boolean = ['echo', 'echo-extras', 'recovery', 'allow-eio3'].includes(name);
        if (value === undefined && !boolean) value = argv[++i];
        opts[name] = value === undefined ? true : value;
    }
    return opts;
}

const args = parseArgs(process.argv.slice(2));
const num = (name, dflt) => (args[name] !== undefined ? Number(args[name]) : dflt);
const engineOpts = {
    pingInterval: num('ping-interval', 25000),
    pingTimeout: num('ping-timeout', 20000),
    maxHttpBufferSize: num('max-http-buffer-size', 1e6),
    transports: args.transports ? String(args.transports).split(',') : ['polling', 'websocket'],
    allowEIO3: !!args['allow-eio3'],
    destroyUpgrade: false,
};
if (args['cors-origin']) engineOpts.cors = { origin: args['cors-origin'], credentials: true };

const httpServer = http.createServer();
const io = new Server(httpServer, {
    ...engineOpts,
    connectTimeout: num('connect-timeout', 45000),
    connectionStateRecovery: args.recovery
        ? { maxDisconnectionDuration: num('max-disconnection-duration', 120000), skipMiddlewares: true }
        : undefined,
    serveClient: false,
});

const rawEngine = new EngineServer({ ...engineOpts, path: '/engine.io/' });
rawEngine.attach(httpServer, { ...engineOpts, path: '/engine.io/' });
rawEngine.on('connection', (socket) => {
    socket.on('message', (data) => socket.send(data));
});

const lastDisconnects = [];

function register(parent) {
    parent.on('connection', (socket) => {
        // the socket's own namespace: for the dynamic ones `parent` is the ParentNamespace, whose
        // emit would reach every child namespace
        const nsp = socket.nsp;
        let roomsAtDisconnect = [];
        registerEchoHandlers(socket, nsp);
        socket.on('message-with-ack', (...a) => {
            const ack = a.pop();
            call(ack, ...a);
        });
        socket.on('emit-with-ack', (o, ack) => {
            socket.timeout(o.timeout ?? 5000).emit(o.event, ...asList(o.args), (err, ...response) => {
                call(ack, { err: err ? err.message : null, response });
            });
        });
        socket.on('disconnect-me', (close) => socket.disconnect(!!close));
        socket.on('handshake', (ack) => {
            const h = socket.handshake;
            call(ack, {
                headers: h.headers,
                query: h.query,
                auth: h.auth,
                address: h.address,
                time: h.time,
                issued: h.issued,
                url: h.url,
                xdomain: h.xdomain,
                secure: h.secure,
            });
        });
        socket.on('last-disconnects', (ack) => call(ack, lastDisconnects));
        socket.on('disconnecting', () => {
            roomsAtDisconnect = sortedRooms(socket);
        });
        socket.on('disconnect', (reason) => {
            lastDisconnects.push({ id: socket.id, reason, rooms: roomsAtDisconnect });
            if (lastDisconnects.length > 100) lastDisconnects.shift();
        });
    });
}

register(io.of('/'));
register(io.of('/custom'));
if (args['echo-extras']) {
    register(io.of(/^\/dyn-[a-z0-9]+$/));
    const authRequired = io.of('/auth-required');
    authRequired.use((socket, next) => {
        if (socket.handshake.auth && socket.handshake.auth.token === 'good') return next();
        const err = new Error('not authorized');
        err.data = { code: 401 };
        next(err);
    });
    register(authRequired);
    const asyncMw = io.of('/async-mw');
    asyncMw.use((socket, next) => setTimeout(() => next(), 50));
    register(asyncMw);
}

httpServer.listen(Number(args.port ?? 0), args.host ?? '127.0.0.1', () => {
    const { port } = httpServer.address();
    process.stdout.write(`sioc listening on http://127.0.0.1:${port}\n`);
});

function shutdown() {
    io.close();
    rawEngine.close();
    httpServer.closeAllConnections?.();
    setTimeout(() => process.exit(0), 50).unref();
    httpServer.close(() => process.exit(0));
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
