import { cpSync } from 'node:fs';
import { dirname } from 'node:path';
import { AssetHashType, Stack, type BundlingOptions, type DockerImage, type ILocalBundling } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import { bundleWorker, type BundleOptions, type WorkerBundle } from './bundle';

/** What a service's worker code is built from. */
export interface WorkerCodeProps extends BundleOptions {
  /** Absolute path of the bus module. */
  readonly modulePath: string;
  /** The functions' runtime: its bundling image stands in for Docker bundling, which never runs. */
  readonly runtime: lambda.Runtime;
}

/**
 * The bundling of a bus module, as asset staging runs it: locally, with esbuild (bundle.ts), into
 * the asset's output directory. Its fields are part of CDK's asset cache key, so two services of
 * the same module and options share one staging.
 *
 * Asset staging runs it only for the stacks a command selected: `cdk deploy OneStack` (context
 * `aws:cdk:bundling-stacks`) leaves other stacks' assets unbundled placeholders, as NodejsFunction's.
 */
class WorkerBundling implements BundlingOptions {
  /** Required by BundlingOptions; unused, since local bundling never declines (it throws instead). */
  public readonly image: DockerImage;
  public readonly local: ILocalBundling;
  /** In the cache key: a different module or option is a different bundle. */
  public readonly entry: string;
  public readonly options: BundleOptions;

  public constructor(props: WorkerCodeProps) {
    this.image = props.runtime.bundlingImage;
    this.entry = props.modulePath;
    this.options = bundleOptionsOf(props);
    const entry = this.entry;
    const options = this.options;
    this.local = {
      tryBundle(outputDir: string): boolean {
        // bundleWorker caches by module and options, so a synth bundles each once.
        cpSync(bundleWorker(entry, options).directory, outputDir, { recursive: true });
        return true;
      },
    };
  }
}

/**
 * A service's worker code: the bus module bundled with the worker handler through CDK's asset
 * staging. The asset's source is the module's folder, its hash the bundle's (AssetHashType.OUTPUT),
 * so an unchanged bundle is an unchanged asset.
 */
export function workerCode(props: WorkerCodeProps): lambda.AssetCode {
  return lambda.Code.fromAsset(dirname(props.modulePath), {
    assetHashType: AssetHashType.OUTPUT,
    bundling: new WorkerBundling(props),
  });
}

/**
 * The bundle behind {@link workerCode}, when `scope`'s stack is bundled in this synth; undefined
 * when asset staging skipped it (a command that selected other stacks). Built once: asset staging
 * has built it already by the time a function took the code.
 */
export function workerBundleOf(scope: Construct, props: WorkerCodeProps): WorkerBundle | undefined {
  if (!Stack.of(scope).bundlingRequired) return undefined;
  return bundleWorker(props.modulePath, bundleOptionsOf(props));
}

/** The bundle options of `props`, defaults filled in: the same for asset staging and {@link workerBundleOf}. */
function bundleOptionsOf(props: WorkerCodeProps): BundleOptions {
  return {
    minify: props.minify,
    target: props.target,
    sourceMap: props.sourceMap ?? false,
    leaveOut: props.leaveOut ?? [],
    leaveOutSdkClients: props.leaveOutSdkClients ?? [],
    leaveOutZodLocales: props.leaveOutZodLocales ?? false,
  };
}
