// test/lib/sio.mjs - helpers for the Socket.IO integration suites (test/socketio-*.test.mjs).
//
// - startServer(args, {port}): server.mjs's startSioc with the reference echo app
//   reference/sio-echo.mjs (socket.io 4.8) under SIOC_REFERENCE=1: resolves {port, url, proc, stop()}
//   where stop() sends SIGTERM and asserts exit code 0 (so a leak or crash at shutdown fails the
//   test). A fixed `port` restarts a server on the same port (reconnection tests).
// - TRANSPORTS: the three client transport configurations every transport-sensitive test loops over.
// - Clients: a per-test pool of socket.io-client 4.x sockets, each with its own http.Agent, forceNew
//   and explicit transports; close() disconnects everything and destroys the agents.
// - small promise helpers with timeouts scaled for the sanitizer build (SIOC_TEST_SANITIZED=1).
import http from 'node:http';
import assert from 'node:assert/strict';
import { io, Manager } from 'socket.io-client';
import { startSioc, REFERENCE, SANITIZED } from './server.mjs';

export { REFERENCE };

/** Scales a duration for the sanitizer build. */
export const T = (ms) => (SANITIZED ? ms * 5 : ms);

/** Starts the echo server with `args` (e.g. ['--echo', '--echo-extras']). */
export function startServer(args = [], { port = 0 } = {}) {
    return startSioc(args, { port, reference: 'sio-echo.mjs', startTimeout: T(10000), stopTimeout: T(10000) });
}

/** The client transport configurations: polling only, websocket only, polling then upgrade. */
export const TRANSPORTS = [
    { name: 'polling', opts: { transports: ['polling'], upgrade: false } },
    { name: 'websocket', opts: { transports: ['websocket'] } },
    { name: 'upgrade', opts: { transports: ['polling', 'websocket'], upgrade: true } },
];

/** Resolves with the arguments of the next `event` on `emitter`, or rejects after `ms`. */
export function once(emitter, event, ms = T(5000)) {
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            emitter.off(event, handler);
            reject(new Error(`timeout waiting for "${event}"`));
        }, ms);
        const handler = (...a) => {
            clearTimeout(timer);
            resolve(a);
        };
        emitter.once(event, handler);
    });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a truthy value; returns that value. */
export async function waitFor(fn, what = 'condition', ms = T(5000), step = 20) {
    const end = Date.now() + ms;
    for (;;) {
        const v = await fn();
        if (v) return v;
        if (Date.now() > end) throw new Error(`timeout waiting for ${what}`);
        await sleep(step);
    }
}

/**
 * Waits until the echo app has recorded the disconnection of socket `id` (its `last-disconnects`
 * list, asked through `observer`) and returns the record {id, reason, rooms}.
 */
export function disconnectOf(observer, id, ms = T(5000)) {
    return waitFor(async () => (await ack1(observer, 'last-disconnects')).find((d) => d.id === id), `the disconnect record of ${id}`, ms, 30);
}

/** Emits with an ack and resolves with the ack's arguments (array); rejects after `ms`. */
export function ack(socket, event, ...args) {
    return new Promise((resolve, reject) => {
        socket.timeout(T(5000)).emit(event, ...args, (err, ...res) => (err ? reject(new Error(`no ack for "${event}": ${err.message}`)) : resolve(res)));
    });
}

/** Emits with an ack and resolves with the ack's first argument. */
export async function ack1(socket, event, ...args) {
    return (await ack(socket, event, ...args))[0];
}

/** Collects every occurrence of `event` on a socket. */
export function collect(socket, event) {
    const list = [];
    socket.on(event, (...a) => list.push(a));
    return list;
}

/** A pool of clients for one test; call close() at the end (t.after). */
export class Clients {
    constructor(url) {
        this.url = url;
        this.sockets = [];
        this.agents = [];
    }

    /** Creates (but does not wait for) a socket on `nsp` with the transport config `tr`. */
    socket(nsp = '/', tr = TRANSPORTS[1], opts = {}) {
        const agent = new http.Agent({ keepAlive: false });
        this.agents.push(agent);
        const s = io(this.url + nsp, {
            forceNew: true,
            agent,
            reconnectionDelay: 100,
            reconnectionDelayMax: 500,
            timeout: T(5000),
            ...tr.opts,
            ...opts,
        });
        this.sockets.push(s);
        return s;
    }

    /** A manager (several namespaces on one Engine.IO connection). */
    manager(tr = TRANSPORTS[1], opts = {}) {
        const agent = new http.Agent({ keepAlive: false });
        this.agents.push(agent);
        const m = new Manager(this.url, {
            forceNew: true,
            agent,
            reconnectionDelay: 100,
            reconnectionDelayMax: 500,
            timeout: T(5000),
            ...tr.opts,
            ...opts,
        });
        const sock = m.socket.bind(m);
        m.socket = (nsp, o) => {
            const s = sock(nsp, o);
            this.sockets.push(s);
            return s;
        };
        return m;
    }

    /**
     * Connects a socket and waits for `connect` (and, for the upgrade config, for the upgrade to
     * websocket so that the test really runs over the upgraded transport). Resolves with the socket,
     * whose `auth` event payload is kept in `socket.authEcho`.
     */
    async connect(nsp = '/', tr = TRANSPORTS[1], opts = {}) {
        const s = this.socket(nsp, tr, opts);
        return waitConnected(s, tr);
    }

    /** Connects `n` sockets at once. */
    connectMany(n, nsp = '/', tr = TRANSPORTS[1], opts = {}) {
        return Promise.all(Array.from({ length: n }, () => this.connect(nsp, tr, opts)));
    }

    close() {
        for (const s of this.sockets) {
            s.io.reconnection(false);
            s.disconnect();
            if (s.io.engine) s.io.engine.close();
        }
        for (const a of this.agents) a.destroy();
        this.sockets = [];
        this.agents = [];
    }
}

/** Waits for a created socket to connect (and upgrade, for the upgrade config). */
export async function waitConnected(s, tr) {
    s.authEcho = new Promise((resolve) => s.once('auth', resolve));
    if (!s.connected) {
        await new Promise((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('timeout waiting for connect')), T(10000));
            s.once('connect', () => {
                clearTimeout(timer);
                s.off('connect_error', onError);
                resolve();
            });
            const onError = (err) => {
                clearTimeout(timer);
                reject(new Error(`connect_error: ${err.message}`));
            };
            s.once('connect_error', onError);
        });
    }
    if (tr && tr.name === 'upgrade') await waitUpgraded(s);
    return s;
}

/** Waits until the socket's Engine.IO connection runs over websocket. */
export async function waitUpgraded(s) {
    const engine = s.io.engine;
    if (engine.transport.name === 'websocket') return;
    await once(engine, 'upgrade', T(10000));
    assert.equal(engine.transport.name, 'websocket');
}

/** Sorts strings like the server does for room lists. */
export const sorted = (a) => [...a].sort();
