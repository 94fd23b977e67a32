/**
 * The example CDK app (cdk.json points here): `npx cdk deploy --all -c busName=my-bus`.
 * The bus name comes from the `busName` context value, else LIGHTBUS_BUS_NAME, else
 * "lightbus-example".
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildExampleApp } from './stacks';

const app = new App();
const busName = (app.node.tryGetContext('busName') as string | undefined) ?? process.env.LIGHTBUS_BUS_NAME ?? 'lightbus-example';
buildExampleApp(app, { busName });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
