// reference/echo-handlers.mjs - the test-helper events of docs/echo-app.md that both Node reference
// servers answer the same way: sio-echo.mjs (one socket.io node) and redis-node.mjs (a node of a
// Redis cluster). Each server registers these on a connected socket and adds its own events.
//
// Design: `nsp` is the socket's own namespace (for dynamic namespaces not the ParentNamespace,
// whose emit would reach every child). Answers go through `call` so that an event sent without an
// ack is still handled. fetch-sockets answers {err} when the adapter fails (a cluster request
// that times out) instead of leaving the ack unanswered.

export const sortedRooms = (socket) => [...socket.rooms].sort();
export const asList = (v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);
export const call = (fn, ...a) => {
    if (typeof fn === 'function') fn(...a);
};

/** Registers the shared events on `socket` of namespace `nsp`. */
export function registerEchoHandlers(socket, nsp) {
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
    socket.on('server-side-emit', (event, a) => nsp.serverSideEmit(event, ...asList(a)));
}
