'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { createServer } = require('../src/app');

async function withServer(options, fn) {
  const server = createServer(options);
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    await fn(base);
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

test('GET /healthz answers ok with the version', async () => {
  await withServer({ version: '1.2.3' }, async (base) => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /^application\/json/);
    assert.deepEqual(await res.json(), { status: 'ok', version: '1.2.3' });
  });
});

test('POST /healthz is not allowed', async () => {
  await withServer({}, async (base) => {
    const res = await fetch(`${base}/healthz`, { method: 'POST' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
  });
});

test('events API', async (t) => {
  const seed = [
    { title: 'Later', startsAt: '2026-12-03T16:00:00.000Z', capacity: 40 },
    { title: 'Sooner', startsAt: '2026-12-01T10:00:00.000Z', capacity: null },
  ];

  await t.test('GET /api/events lists events by start time', async () => {
    await withServer({ seed }, async (base) => {
      const res = await fetch(`${base}/api/events`);
      assert.equal(res.status, 200);
      const body = await res.json();
      assert.deepEqual(body.events.map((e) => e.title), ['Sooner', 'Later']);
    });
  });

  await t.test('GET /api/events/:id finds one, or 404', async () => {
    await withServer({ seed }, async (base) => {
      const one = await fetch(`${base}/api/events/1`);
      assert.equal(one.status, 200);
      assert.equal((await one.json()).title, 'Later');
      const none = await fetch(`${base}/api/events/99`);
      assert.equal(none.status, 404);
    });
  });

  await t.test('POST /api/events creates an event', async () => {
    await withServer({}, async (base) => {
      const res = await fetch(`${base}/api/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          title: ' Demo day ', startsAt: '2026-12-24T09:00:00Z', capacity: 12,
        }),
      });
      assert.equal(res.status, 201);
      const event = await res.json();
      assert.equal(res.headers.get('location'), `/api/events/${event.id}`);
      assert.deepEqual(event, {
        id: '1', title: 'Demo day', startsAt: '2026-12-24T09:00:00.000Z', capacity: 12,
      });
      const list = await (await fetch(`${base}/api/events`)).json();
      assert.equal(list.events.length, 1);
    });
  });

  await t.test('POST /api/events rejects bad input', async () => {
    await withServer({}, async (base) => {
      const cases = [
        ['not json', 400, 'invalid JSON'],
        ['[]', 422, 'expected a JSON object'],
        ['{"startsAt":"2026-12-24T09:00:00Z"}', 422, 'title: expected a non-empty string'],
        ['{"title":"x","startsAt":"someday"}', 422, 'startsAt: expected an ISO 8601 date'],
        ['{"title":"x","startsAt":"2026-12-24","capacity":0}', 422,
          'capacity: expected a whole number from 1 to 100000'],
        ['x'.repeat(70 * 1024), 413, 'request body too large'],
      ];
      for (const [body, status, error] of cases) {
        const res = await fetch(`${base}/api/events`, { method: 'POST', body });
        assert.equal(res.status, status, body.slice(0, 40));
        assert.deepEqual(await res.json(), { error });
      }
    });
  });
});

test('unknown paths are 404', async () => {
  await withServer({}, async (base) => {
    const res = await fetch(`${base}/nope`);
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'not found' });
  });
});
