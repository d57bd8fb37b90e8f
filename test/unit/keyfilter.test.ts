import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KeyFilter } from '../../src/store/keyfilter.js';

test('KeyFilter never forgets a key it was given, and rarely claims one it was not', () => {
  const f = new KeyFilter(20_000);
  for (let i = 0; i < 20_000; i++) f.add(`/default/core/pods/default/web-${i}`);
  for (let i = 0; i < 20_000; i++) assert.ok(f.mightHave(`/default/core/pods/default/web-${i}`));
  let wrong = 0;
  for (let i = 0; i < 20_000; i++) if (f.mightHave(`/default/core/events/default/web-${i}.18a`)) wrong++;
  assert.ok(wrong < 20_000 * 0.03, `${wrong} false positives in 20,000`);
  assert.equal(f.full, false);
  for (let i = 0; i < 2; i++) f.add(`more-${i}`);
  assert.equal(f.full, true, 'past its capacity it asks to be rebuilt');
});
