// Objection model for this project's `channel` table: list and object fields are JSON text
// in MySQL and real arrays/objects in code.
import { Model } from 'objection';
import type { ChannelProxy } from '../providers/http.js';

export type { ChannelProxy };

export class Channel extends Model {
  static tableName = 'channel';
  static jsonAttributes = ['models', 'group', 'proxy'];
  id!: number;
  name!: string;
  type!: string;
  priority!: number;
  weight!: number;
  models!: string[];
  retry!: number;
  secret!: string;
  endpoint!: string;
  mapper!: string;
  state!: boolean;
  group!: string[];
  proxy!: ChannelProxy;
  created_at?: Date;
  updated_at?: Date;

  static jsonSchema = {
    type: 'object',
    required: ['name', 'type', 'models', 'secret', 'endpoint'],
    properties: {
      id: { type: 'integer' },
      name: { type: 'string', minLength: 1, maxLength: 255 },
      type: { type: 'string', minLength: 1, maxLength: 64 },
      priority: { type: 'integer' },
      weight: { type: 'integer', minimum: 1 },
      models: { type: 'array', items: { type: 'string', minLength: 1 } },
      retry: { type: 'integer', minimum: 1, maximum: 10 },
      secret: { type: 'string' },
      endpoint: { type: 'string', maxLength: 1024 },
      mapper: { type: 'string' },
      state: { type: 'boolean' },
      group: { type: 'array', items: { type: 'string' } },
      proxy: { type: 'object' },
    },
  };

  $beforeUpdate(): void {
    this.updated_at = new Date();
  }
}
