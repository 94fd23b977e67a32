/** Anything that takes environment variables, such as `lambda.Function`. */
export interface EnvironmentTarget {
  addEnvironment(key: string, value: string): unknown;
}

/** True for a grantee that takes environment variables: grants give it the environment to find the bus too. */
export function isEnvironmentTarget(value: unknown): value is EnvironmentTarget {
  return typeof (value as Partial<EnvironmentTarget> | undefined)?.addEnvironment === 'function';
}
