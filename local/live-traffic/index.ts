export { createTemporaryResources, removeTemporaryResources } from './temporary-tap';
export type { TemporaryResources } from './temporary-tap';
export { readTapDelivery } from './delivery';
export type { TapDelivery } from './delivery';
export { findTappedTopics } from './topic-tap';
export type { TapSubscription, TopicSelection } from './topic-tap';
