/** cdk-nag's AwsSolutions pack over the example app: no unacknowledged findings, every acknowledgement with its reason. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ACCEPTED_NAG_FINDINGS, buildExampleApp } from '../../examples/cdk/stacks';

jest.setTimeout(60_000);

const outdirs: string[] = [];
function checkedApp(): App {
  const outdir = mkdtempSync(join(tmpdir(), 'lightbus-nag-'));
  outdirs.push(outdir);
  const app = new App({ outdir });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

describe('cdk-nag AwsSolutions over the example app', () => {
  it('synthesizes with no unacknowledged findings', () => {
    const app = checkedApp();
    buildExampleApp(app, { busName: 'nag-check' });
    const assembly = app.synth();
    const report = readFileSync(join(assembly.directory, 'validation-report.json'), 'utf8');
    expect(report).not.toMatch(/"severity":\s*"error"[^}]*"acknowledged":\s*false/);
    expect(report).not.toMatch(/"acknowledged":\s*true/);
  });

  it('acknowledges no finding: every policy is as narrow as the job allows', () => {
    expect(ACCEPTED_NAG_FINDINGS).toEqual([]);
    for (const finding of ACCEPTED_NAG_FINDINGS) {
      expect(finding.id).toMatch(/^AwsSolutions-/);
      expect(finding.reason.length).toBeGreaterThan(40);
    }
  });

  it('is really checking: an unencrypted queue without a DLQ fails synthesis', () => {
    const app = checkedApp();
    new sqs.Queue(new Stack(app, 'Bad'), 'Plain', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
  });
});
