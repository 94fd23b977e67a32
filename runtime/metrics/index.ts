export { emf, EMF_METRICS, EMF_DIMENSIONS } from './emf';
export type { EmfOptions, EmfUnit, EmfMetricName } from './emf';
