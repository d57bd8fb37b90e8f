// Cron schedules as robfig/cron/v3 reads and steps them (src/api/cron.ts), against
// the cases of its own tests (spec_test.go TestActivation and TestNext, in the
// five-field form ParseStandard takes; parser_test.go's errors), including its
// daylight-saving behaviour: a time that does not exist that day is skipped, a
// time that happens twice runs twice, and a day whose midnight does not exist
// still starts at its first hour.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSchedule, parseStandardCron, ZERO_TIME } from '../../src/api/cron.js';

const at = (s: string) => Date.parse(s);
const iso = (ms: number) => (ms === ZERO_TIME ? 'zero' : new Date(ms).toISOString());

describe('cron: robfig TestActivation', () => {
  const cases: [string, string, boolean][] = [
    ['2012-07-09T15:00:00Z', '0/15 * * * *', true], ['2012-07-09T15:45:00Z', '0/15 * * * *', true], ['2012-07-09T15:40:00Z', '0/15 * * * *', false],
    ['2012-07-09T15:05:00Z', '5/15 * * * *', true], ['2012-07-09T15:20:00Z', '5/15 * * * *', true], ['2012-07-09T15:50:00Z', '5/15 * * * *', true],
    ['2012-07-15T15:00:00Z', '0/15 * * Jul *', true], ['2012-07-15T15:00:00Z', '0/15 * * Jun *', false],
    ['2012-07-15T08:30:00Z', '30 08 ? Jul Sun', true], ['2012-07-15T08:30:00Z', '30 08 15 Jul ?', true],
    ['2012-07-16T08:30:00Z', '30 08 ? Jul Sun', false], ['2012-07-16T08:30:00Z', '30 08 15 Jul ?', false],
    ['2012-07-09T15:00:00Z', '@hourly', true], ['2012-07-09T15:04:00Z', '@hourly', false], ['2012-07-09T15:00:00Z', '@daily', false],
    ['2012-07-09T00:00:00Z', '@daily', true], ['2012-07-09T00:00:00Z', '@midnight', true], ['2012-07-09T00:00:00Z', '@weekly', false],
    ['2012-07-08T00:00:00Z', '@weekly', true], ['2012-07-08T01:00:00Z', '@weekly', false], ['2012-07-08T00:00:00Z', '@monthly', false],
    ['2012-07-01T00:00:00Z', '@monthly', true], ['2012-01-01T00:00:00Z', '@yearly', true], ['2012-01-01T00:00:00Z', '@annually', true],
    ['2012-02-01T00:00:00Z', '@yearly', false],
    // Day of month and day of week both restricted: either matches.
    ['2012-07-15T00:00:00Z', '* * 1,15 * Sun', true], ['2012-06-15T00:00:00Z', '* * 1,15 * Sun', true],
    ['2012-08-01T00:00:00Z', '* * 1,15 * Sun', true], ['2012-07-15T00:00:00Z', '* * */10 * Sun', true],
    // One of them a star: both must match.
    ['2012-07-15T00:00:00Z', '* * * * Mon', false], ['2012-07-09T00:00:00Z', '* * 1,15 * *', false],
    ['2012-07-15T00:00:00Z', '* * 1,15 * *', true], ['2012-07-15T00:00:00Z', '* * */2 * Sun', true],
  ];
  for (const [time, spec, want] of cases) {
    it(`${spec} at ${time}: ${want}`, () => {
      const got = parseSchedule(spec).next(at(time) - 1000);
      assert.equal(got === at(time), want, iso(got));
    });
  }
});

describe('cron: robfig TestNext', () => {
  const cases: [string, string, string][] = [
    ['2012-07-09T14:45:00Z', '0/15 * * * *', '2012-07-09T15:00:00Z'],
    ['2012-07-09T14:59:00Z', '0/15 * * * *', '2012-07-09T15:00:00Z'],
    ['2012-07-09T14:59:59Z', '0/15 * * * *', '2012-07-09T15:00:00Z'],
    ['2012-07-09T15:45:00Z', '20-35/15 * * * *', '2012-07-09T16:20:00Z'],
    ['2012-07-09T23:46:00Z', '*/15 * * * *', '2012-07-10T00:00:00Z'],
    ['2012-07-09T23:45:00Z', '20-35/15 * * * *', '2012-07-10T00:20:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 9 Apr-Oct ?', '2012-08-09T00:00:00Z'],
    // "*/5" with a step is restricted, so day 1 (a Wednesday) matches with Mon (robfig #70).
    ['2012-07-09T23:35:00Z', '0 0 */5 Apr,Aug,Oct Mon', '2012-08-01T00:00:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 */5 Oct Mon', '2012-10-01T00:00:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 * Feb Mon', '2013-02-04T00:00:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 * Feb Mon/2', '2013-02-01T00:00:00Z'],
    ['2012-12-31T23:59:45Z', '* * * * *', '2013-01-01T00:00:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 29 Feb ?', '2016-02-29T00:00:00Z'],
    // Daylight saving time, New York: 2:30 does not exist on March 11 (next year's), happens twice on November 4.
    ['2012-03-11T00:00:00-05:00', 'TZ=America/New_York 30 2 11 Mar ?', '2013-03-11T02:30:00-04:00'],
    ['2012-11-04T00:00:00-04:00', 'TZ=America/New_York 30 2 04 Nov ?', '2012-11-04T02:30:00-05:00'],
    ['2012-11-04T01:45:00-04:00', 'TZ=America/New_York 30 1 04 Nov ?', '2012-11-04T01:30:00-05:00'],
    ['2012-11-04T00:00:00-04:00', 'CRON_TZ=America/New_York 0 * * * ?', '2012-11-04T01:00:00-04:00'],
    ['2012-11-04T01:00:00-04:00', 'TZ=America/New_York 0 * * * ?', '2012-11-04T01:00:00-05:00'],
    ['2012-11-04T01:00:00-05:00', 'TZ=America/New_York 0 * * * ?', '2012-11-04T02:00:00-05:00'],
    ['2012-03-11T01:00:00-05:00', 'TZ=America/New_York 0 * * * ?', '2012-03-11T03:00:00-04:00'],
    ['2012-03-11T01:00:00-05:00', 'TZ=America/New_York 0 1 * * ?', '2012-03-12T01:00:00-04:00'],
    ['2012-11-04T00:00:00-04:00', 'TZ=America/New_York 0 3 3 * ?', '2012-12-03T03:00:00-05:00'],
    // Midnight does not exist (São Paulo's old DST started at 00:00): the day still matches (robfig #157).
    ['2018-10-17T05:00:00-04:00', 'TZ=America/Sao_Paulo 0 9 10 * ?', '2018-11-10T06:00:00-05:00'],
    ['2018-02-14T05:00:00-05:00', 'TZ=America/Sao_Paulo 0 9 22 * ?', '2018-02-22T07:00:00-05:00'],
    // @every: whole seconds from the time given, at least one.
    ['2025-01-01T00:00:00.700Z', '@every 90s', '2025-01-01T00:01:30Z'],
    ['2025-01-01T00:00:00Z', '@every 1h30m', '2025-01-01T01:30:00Z'],
    ['2025-01-01T00:00:00Z', '@every 300ms', '2025-01-01T00:00:01Z'],
    ['2025-01-01T00:00:00Z', '@every 1.5s', '2025-01-01T00:00:01Z'],
  ];
  for (const [from, spec, want] of cases) {
    it(`${spec} after ${from}`, () => assert.equal(iso(parseSchedule(spec).next(at(from))), iso(at(want))));
  }
  it('the time zone argument is what the CronJob controller puts in front as TZ=', () => {
    assert.equal(iso(parseSchedule('0 9 * * *', 'Europe/Paris').next(at('2025-01-01T00:00:00Z'))), '2025-01-01T08:00:00.000Z');
    assert.equal(iso(parseSchedule('0 9 * * *', 'Europe/Paris').next(at('2025-07-01T00:00:00Z'))), '2025-07-01T07:00:00.000Z');
    assert.equal(iso(parseSchedule('0 0 * * *', 'Asia/Kolkata').next(at('2025-01-01T00:00:00Z'))), '2025-01-01T18:30:00.000Z');
  });
  it('an unsatisfiable schedule gives Go\'s zero time', () => {
    assert.equal(parseSchedule('0 0 30 Feb ?').next(at('2012-07-09T23:35:00Z')), ZERO_TIME);
    assert.equal(parseSchedule('0 0 31 Apr ?').next(at('2012-07-09T23:35:00Z')), ZERO_TIME);
    assert.equal(parseSchedule('0 0 31 Apr ?').next(ZERO_TIME), ZERO_TIME);
  });
});

describe('cron: ParseStandard errors', () => {
  const cases: [string, string][] = [
    ['', 'empty spec string'],
    ['xyz', 'expected exactly 5 fields, found 1: [xyz]'],
    ['60 0 * * *', 'end of range (60) above maximum (59): 60'],
    ['0 0 * * XYZ', 'failed to parse int from XYZ: strconv.Atoi: parsing "XYZ": invalid syntax'],
    ['15/0 * * * *', 'step of range should be a positive number: 15/0'],
    ['1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['1/2/3 * * * *', 'too many slashes: 1/2/3'],
    ['5-1 * * * *', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['-1 * * * *', 'failed to parse int from : strconv.Atoi: parsing "": invalid syntax'],
    ['@often', 'unrecognized descriptor: @often'],
    ['@every 5', 'failed to parse duration @every 5: time: missing unit in duration "5"'],
    ['@every 1d', 'failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"'],
    ['@every x', 'failed to parse duration @every x: time: invalid duration "x"'],
    ['TZ=Mars/Olympus * * * * *', 'provided bad location Mars/Olympus: unknown time zone Mars/Olympus'],
  ];
  for (const [spec, message] of cases) {
    it(JSON.stringify(spec), () => assert.throws(() => parseStandardCron(spec), { message }));
  }
  it('accepts what kube accepts', () => {
    for (const spec of ['*/5 * * * *', '0 9 * * MON-FRI', '@every 1h', 'CRON_TZ=UTC 0 * * * *', '0 0 30 2 *', '? ? ? ? ?']) parseStandardCron(spec);
  });
});
