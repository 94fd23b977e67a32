/**
 * Published AWS latencies (warm, same region, client-observed round trip of one API call), as
 * log-normal distributions given by their p50 and p99. Sources in bench/README.md ("AWS-like
 * mode"); where a source gives only a median, the p99 is our assumption and says so there.
 */
export type Service = 'sqs' | 'dynamodb' | 'eventbridge' | 'sns' | 's3' | 'other';

export interface LatencySpec {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

export type LatencyProfile = Readonly<Record<Service, LatencySpec>>;

/** The AWS-like profile (see bench/README.md for each figure's source). */
export const AWS_PROFILE: LatencyProfile = {
  sqs: { p50Ms: 8, p99Ms: 30 },
  dynamodb: { p50Ms: 6, p99Ms: 20 },
  eventbridge: { p50Ms: 18, p99Ms: 60 },
  sns: { p50Ms: 15, p99Ms: 50 },
  s3: { p50Ms: 25, p99Ms: 100 },
  other: { p50Ms: 10, p99Ms: 40 },
};

/** No added latency: a recording pass-through. */
export const ZERO_PROFILE: LatencyProfile = {
  sqs: { p50Ms: 0, p99Ms: 0 },
  dynamodb: { p50Ms: 0, p99Ms: 0 },
  eventbridge: { p50Ms: 0, p99Ms: 0 },
  sns: { p50Ms: 0, p99Ms: 0 },
  s3: { p50Ms: 0, p99Ms: 0 },
  other: { p50Ms: 0, p99Ms: 0 },
};

/** z of the 99th percentile of the standard normal distribution. */
const Z99 = 2.3263478740408408;

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A sampler of the log-normal distribution whose median is p50 and whose 99th percentile is p99:
 * ln X ~ N(ln p50, σ²) with σ = ln(p99 / p50) / z₀.₉₉. Box–Muller on a seeded PRNG.
 */
export function logNormalSampler(spec: LatencySpec, seed: number): () => number {
  if (spec.p50Ms <= 0) return () => 0;
  if (spec.p99Ms < spec.p50Ms) throw new Error(`p99 (${spec.p99Ms} ms) must be ≥ p50 (${spec.p50Ms} ms)`);
  const random = seededRandom(seed);
  const mu = Math.log(spec.p50Ms);
  const sigma = Math.log(spec.p99Ms / spec.p50Ms) / Z99;
  return () => {
    const u1 = Math.max(random(), Number.EPSILON);
    const u2 = random();
    const z = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    return Math.exp(mu + sigma * z);
  };
}
