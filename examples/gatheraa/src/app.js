'use strict';

// The gatheraa backend: a health check and a small events API, on node's own
// http module so the service runs without installing anything.

const http = require('node:http');

const MAX_BODY = 64 * 1024;

function createStore(seed) {
  const events = new Map();
  let nextId = 1;
  const store = {
    list() {
      return [...events.values()].sort((a, b) => a.startsAt.localeCompare(b.startsAt));
    },
    get(id) {
      return events.get(id) || null;
    },
    add(fields) {
      const event = { id: String(nextId++), ...fields };
      events.set(event.id, event);
      return event;
    },
  };
  for (const fields of seed || []) {
    store.add(fields);
  }
  return store;
}

// A problem with a request body, or null when it is a valid event.
function validateEvent(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return 'expected a JSON object';
  }
  if (typeof body.title !== 'string' || body.title.trim() === '') {
    return 'title: expected a non-empty string';
  }
  if (body.title.length > 200) {
    return 'title: at most 200 characters';
  }
  if (typeof body.startsAt !== 'string' || Number.isNaN(Date.parse(body.startsAt))) {
    return 'startsAt: expected an ISO 8601 date';
  }
  if (body.capacity !== undefined &&
      (!Number.isInteger(body.capacity) || body.capacity < 1 || body.capacity > 100000)) {
    return 'capacity: expected a whole number from 1 to 100000';
  }
  return null;
}

function send(res, status, body, headers) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(text);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    const onData = (chunk) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        // Answer now and drop the rest unread; the connection closes after.
        req.off('data', onData);
        req.resume();
        reject(Object.assign(new Error('request body too large'), { status: 413 }));
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function createApp(options) {
  const opts = options || {};
  const store = opts.store || createStore(opts.seed);
  const version = opts.version || process.env.APP_VERSION || 'dev';

  async function handle(req, res) {
    const url = new URL(req.url, 'http://localhost');
    const path = url.pathname;

    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        return send(res, 405, { error: 'method not allowed' }, { allow: 'GET, HEAD' });
      }
      return send(res, 200, { status: 'ok', version });
    }
    if (path === '/api/events') {
      if (req.method === 'GET') {
        return send(res, 200, { events: store.list() });
      }
      if (req.method === 'POST') {
        let body;
        try {
          body = JSON.parse(await readBody(req));
        } catch (err) {
          return err.status
            ? send(res, err.status, { error: err.message }, { connection: 'close' })
            : send(res, 400, { error: 'invalid JSON' });
        }
        const problem = validateEvent(body);
        if (problem) {
          return send(res, 422, { error: problem });
        }
        const event = store.add({
          title: body.title.trim(),
          startsAt: new Date(body.startsAt).toISOString(),
          capacity: body.capacity || null,
        });
        return send(res, 201, event, { location: `/api/events/${event.id}` });
      }
      return send(res, 405, { error: 'method not allowed' }, { allow: 'GET, POST' });
    }
    const match = /^\/api\/events\/([0-9]+)$/.exec(path);
    if (match) {
      if (req.method !== 'GET') {
        return send(res, 405, { error: 'method not allowed' }, { allow: 'GET' });
      }
      const event = store.get(match[1]);
      return event ? send(res, 200, event) : send(res, 404, { error: 'no such event' });
    }
    return send(res, 404, { error: 'not found' });
  }

  return (req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) {
        send(res, 500, { error: 'internal error' });
      }
      if (opts.onError) {
        opts.onError(err);
      }
    });
  };
}

function createServer(options) {
  return http.createServer(createApp(options));
}

module.exports = { createApp, createServer, createStore, validateEvent };
