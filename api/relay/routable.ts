// Whether a model can be routed for a caller's group, as the OpenAI-shaped error to raise:
// 404 for a model nobody serves, 403 for one the group may not use, 503 when none is enabled.
import type { ChannelSnapshot } from '../../shared/channels/snapshot.js';
import { errors } from '../../shared/errors.js';

export function assertRoutable(snapshot: ChannelSnapshot, model: string, group: string): void {
  const access = snapshot.access(model, group);
  if (access === 'unknown') throw errors.modelNotFound(model);
  if (access === 'forbidden') {
    throw errors.forbidden(`Your account may not use the model \`${model}\`.`, 'model_not_allowed');
  }
  if (access === 'unavailable') throw errors.noChannel(model);
}
