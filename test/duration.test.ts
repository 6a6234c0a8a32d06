import { Duration } from 'cdk8s';
import { goDuration } from '../src';

test.each([
  [Duration.hours(1), '1h0m0s'],
  [Duration.minutes(10), '10m0s'],
  [Duration.seconds(90), '1m30s'],
  [Duration.seconds(45), '45s'],
  [Duration.millis(1500), '1.5s'],
  [Duration.millis(500), '500ms'],
  [Duration.seconds(0), '0s'],
  [Duration.hours(26), '26h0m0s'],
])('%s renders as Go does', (d, expected) => expect(goDuration(d)).toBe(expected));
