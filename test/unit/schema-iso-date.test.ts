import { parseIsoDateTime } from '../../runtime/schema/iso-date';

describe('parseIsoDateTime: only ISO 8601 date-times with an offset', () => {
  it.each([
    ['2024-05-06T07:08:09Z', '2024-05-06T07:08:09.000Z'],
    ['2024-05-06T07:08:09.123Z', '2024-05-06T07:08:09.123Z'],
    ['2024-05-06T07:08:09.1Z', '2024-05-06T07:08:09.100Z'],
    ['2024-05-06T07:08:09.123456789Z', '2024-05-06T07:08:09.123Z'],
    ['2024-05-06t07:08:09z', '2024-05-06T07:08:09.000Z'],
    ['2024-05-06T09:08:09+02:00', '2024-05-06T07:08:09.000Z'],
    ['2024-05-06T01:38:09-05:30', '2024-05-06T07:08:09.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
    ['2000-02-29T23:59:59.999+00:00', '2000-02-29T23:59:59.999Z'],
    ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
    ['0050-06-01T00:00:00Z', '0050-06-01T00:00:00.000Z'],
    ['9999-12-31T23:59:59Z', '9999-12-31T23:59:59.000Z'],
  ])('reads %s as %s', (text, iso) => {
    expect(parseIsoDateTime(text)?.toISOString()).toBe(iso);
  });

  it.each([
    '1', // new Date('1') is 2001-01-01 in the worker's time zone
    '2024',
    '2024-05-06',
    '2024-05-06T07:08:09', // no offset: would be read in the worker's time zone
    '2024-05-06 07:08:09Z',
    '2024-05-06T07:08Z',
    '2024-05-06T07:08:09+0200',
    '2024-05-06T07:08:09+02',
    '2024-05-06T07:08:09.Z',
    '2024-05-06T07:08:09.1234567890Z',
    '+002024-05-06T07:08:09Z',
    '2023-02-29T00:00:00Z',
    '1900-02-29T00:00:00Z',
    '2024-04-31T00:00:00Z',
    '2024-13-01T00:00:00Z',
    '2024-00-01T00:00:00Z',
    '2024-01-00T00:00:00Z',
    '2024-01-01T24:00:00Z',
    '2024-01-01T00:60:00Z',
    '2024-01-01T23:59:60Z',
    '2024-01-01T00:00:00+24:00',
    '2024-01-01T00:00:00+01:60',
    'Mon, 06 May 2024 07:08:09 GMT',
    ' 2024-05-06T07:08:09Z',
    '2024-05-06T07:08:09Z\n',
    '２０２４-05-06T07:08:09Z',
    '',
  ])('refuses %j', (text) => {
    expect(parseIsoDateTime(text)).toBeUndefined();
  });

  it('gives the same instant whatever the process time zone', () => {
    const before = process.env.TZ;
    try {
      process.env.TZ = 'Pacific/Kiritimati';
      const a = parseIsoDateTime('2024-05-06T07:08:09+02:00')?.getTime();
      process.env.TZ = 'America/Los_Angeles';
      const b = parseIsoDateTime('2024-05-06T07:08:09+02:00')?.getTime();
      expect(a).toBe(Date.UTC(2024, 4, 6, 5, 8, 9));
      expect(b).toBe(a);
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
  });
});
