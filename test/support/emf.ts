/** Checks on CloudWatch Embedded Metric Format lines, shared by the unit and integration tests. */

export interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

/** Checks what CloudWatch requires of an EMF document and returns its metrics by name. */
export function expectValidEmf(line: EmfLine): Record<string, { unit: string; value: unknown }> {
  expect(typeof line._aws.Timestamp).toBe('number');
  expect(line._aws.CloudWatchMetrics).toHaveLength(1);
  const directive = line._aws.CloudWatchMetrics[0]!;
  for (const dimension of directive.Dimensions.flat()) expect(typeof line[dimension]).toBe('string');
  const metrics: Record<string, { unit: string; value: unknown }> = {};
  for (const metric of directive.Metrics) {
    expect(typeof line[metric.Name]).toBe('number');
    metrics[metric.Name] = { unit: metric.Unit, value: line[metric.Name] };
  }
  return metrics;
}
