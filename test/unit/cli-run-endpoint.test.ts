/** `lightbus run` names the endpoint it really uses (issue #10), not "(AWS)" whenever --local is absent. */
import { endpointInUse } from '../../local/cli/commands/run';

it('names the flag, the settings, the SDK environment, else AWS in its region', () => {
  expect(endpointInUse('http://flag:1', { endpoint: 'http://cfg:2' }, {})).toBe('http://flag:1');
  expect(endpointInUse(undefined, { endpoint: 'http://cfg:2' }, { AWS_ENDPOINT_URL: 'http://env:3' })).toBe('http://cfg:2');
  expect(endpointInUse(undefined, {}, { AWS_ENDPOINT_URL_SQS: 'http://sqs:4', AWS_ENDPOINT_URL: 'http://env:3' })).toBe('http://sqs:4');
  expect(endpointInUse(undefined, {}, { AWS_ENDPOINT_URL: 'http://env:3' })).toBe('http://env:3');
  expect(endpointInUse(undefined, { region: 'eu-west-1' }, {})).toBe('AWS (eu-west-1)');
  expect(endpointInUse(undefined, {}, { AWS_REGION: 'us-east-2' })).toBe('AWS (us-east-2)');
});
