// The one Go duration parser and printer (src/api/duration.ts) against the
// cases of Go's own time package tests (TestParseDuration,
// TestParseDurationErrors, TestDurationString in src/time/time_test.go), so an
// annotation, a ConfigMap value or a simulate directive reads as Go reads it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatGoDuration, goDurationNanos, goDurationString, parseGoDuration } from '../../src/api/duration.js';

const ns = 1n, us = 1_000n, ms = 1_000_000n, s = 1_000_000_000n, m = 60n * s, h = 60n * m;
const MAX = (1n << 63n) - 1n, MIN = -(1n << 63n);

describe('goDurationNanos: what time.ParseDuration accepts', () => {
  const cases: [string, bigint][] = [
    // simple
    ['0', 0n], ['5s', 5n * s], ['30s', 30n * s], ['1478s', 1478n * s],
    // sign
    ['-5s', -5n * s], ['+5s', 5n * s], ['-0', 0n], ['+0', 0n],
    // decimal
    ['5.0s', 5n * s], ['5.6s', 5n * s + 600n * ms], ['5.s', 5n * s], ['.5s', 500n * ms], ['1.0s', s], ['1.00s', s],
    ['1.004s', s + 4n * ms], ['1.0040s', s + 4n * ms], ['100.00100s', 100n * s + ms],
    // every unit, both spellings of micro (U+00B5 and U+03BC)
    ['10ns', 10n * ns], ['11us', 11n * us], ['12\u00b5s', 12n * us], ['12\u03bcs', 12n * us], ['13ms', 13n * ms],
    ['14s', 14n * s], ['15m', 15n * m], ['16h', 16n * h],
    // composite
    ['3h30m', 3n * h + 30n * m], ['10.5s4m', 4n * m + 10n * s + 500n * ms], ['-2m3.4s', -(2n * m + 3n * s + 400n * ms)],
    ['1h2m3s4ms5us6ns', h + 2n * m + 3n * s + 4n * ms + 5n * us + 6n * ns], ['39h9m14.425s', 39n * h + 9n * m + 14n * s + 425n * ms],
    // large values, and more digits after the point than an int64 holds
    ['52763797000ns', 52763797000n], ['0.3333333333333333333h', 20n * m], ['9007199254740993ns', (1n << 53n) + 1n],
    ['9223372036854775807ns', MAX], ['9223372036854775.807us', MAX], ['9223372036s854ms775us807ns', MAX],
    ['-9223372036854775808ns', MIN], ['-9223372036854775.808us', MIN], ['-9223372036s854ms775us808ns', MIN],
    ['-2562047h47m16.854775808s', MIN], ['0.100000000000000000000h', 6n * m],
    ['0.830103483285477580700h', 49n * m + 48n * s + 372539827n * ns],
    // the forms this project's annotations and directives use
    ['1h2m3.5s', h + 2n * m + 3n * s + 500n * ms], ['300ms', 300n * ms], ['1.5h', 90n * m], ['2h45m', 2n * h + 45n * m],
  ];
  for (const [text, want] of cases) {
    it(JSON.stringify(text), () => assert.equal(goDurationNanos(text), want));
  }
});

describe('goDurationNanos: what time.ParseDuration refuses', () => {
  const refused = [
    '', '3', '-', 's', '.', '-.', '.s', '+.s', '1d', '\x85\x85', '\xffff', 'hello \xffff world', '\uFFFD', '\uFFFD hello \uFFFD world',
    // overflow
    '9223372036854775810ns', '9223372036854775808ns', '-9223372036854775809ns', '9223372036854776us', '3000000h',
    '9223372036854775.808us', '9223372036854ms775us808ns',
    // what the three parsers this one replaced let through or refused differently
    '5', '900', '15 m', ' 5s', '5s ', '5x', 'soon', '1h 2m',
  ];
  for (const text of refused) {
    it(JSON.stringify(text), () => assert.equal(goDurationNanos(text), undefined));
  }
});

describe('parseGoDuration: milliseconds', () => {
  it('converts, keeping fractions of a millisecond', () => {
    assert.equal(parseGoDuration('1.5h'), 5_400_000);
    assert.equal(parseGoDuration('300ms'), 300);
    assert.equal(parseGoDuration('-5s'), -5000);
    assert.equal(parseGoDuration('1.5us'), 0.0015);
    assert.equal(parseGoDuration('0'), 0);
    assert.equal(parseGoDuration('1d'), undefined);
  });
});

describe('goDurationString: Duration.String', () => {
  const cases: [bigint, string][] = [
    [0n, '0s'], [1n, '1ns'], [1100n, '1.1µs'], [2200n * us, '2.2ms'], [3300n * ms, '3.3s'], [4n * m + 5n * s, '4m5s'],
    [4n * m + 5001n * ms, '4m5.001s'], [5n * h + 6n * m + 7001n * ms, '5h6m7.001s'], [8n * m + 1n, '8m0.000000001s'],
    [MAX, '2562047h47m16.854775807s'], [MIN, '-2562047h47m16.854775808s'],
  ];
  for (const [d, text] of cases) {
    it(text, () => {
      assert.equal(goDurationString(d), text);
      if (d > 0n) assert.equal(goDurationString(-d), `-${text}`);
    });
  }
  it('round-trips through the parser, the extremes included', () => {
    for (const d of [MAX, MIN, 0n, 1n, 90n * m, -(2n * m + 3n * s + 400n * ms)]) assert.equal(goDurationNanos(goDurationString(d)), d);
  });
  it('formats milliseconds as the kubelet prints a pull time', () => {
    assert.equal(formatGoDuration(513), '513ms');
    assert.equal(formatGoDuration(2358), '2.358s');
    assert.equal(formatGoDuration(62_500), '1m2.5s');
    assert.equal(formatGoDuration(3_600_000), '1h0m0s');
  });
});
