'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { validateEvent, createStore } = require('../src/app');

test('validateEvent', () => {
  const table = [
    [{ title: 'a', startsAt: '2026-01-01' }, null],
    [{ title: 'a', startsAt: '2026-01-01', capacity: 100000 }, null],
    [null, 'expected a JSON object'],
    ['text', 'expected a JSON object'],
    [{ title: '   ', startsAt: '2026-01-01' }, 'title: expected a non-empty string'],
    [{ title: 'x'.repeat(201), startsAt: '2026-01-01' }, 'title: at most 200 characters'],
    [{ title: 'a', startsAt: 5 }, 'startsAt: expected an ISO 8601 date'],
    [{ title: 'a', startsAt: '2026-01-01', capacity: 1.5 },
      'capacity: expected a whole number from 1 to 100000'],
  ];
  for (const [input, want] of table) {
    assert.equal(validateEvent(input), want, JSON.stringify(input));
  }
});

test('the store numbers events and sorts by start', () => {
  const store = createStore([
    { title: 'b', startsAt: '2026-02-01T00:00:00.000Z' },
    { title: 'a', startsAt: '2026-01-01T00:00:00.000Z' },
  ]);
  assert.deepEqual(store.list().map((e) => e.id), ['2', '1']);
  assert.equal(store.get('1').title, 'b');
  assert.equal(store.get('3'), null);
});
