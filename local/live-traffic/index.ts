export { createTemporaryResources, removeTemporaryResources } from './temporary-tap';
export type { TemporaryResources } from './temporary-tap';
