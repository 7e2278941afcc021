// Objection model for Chat Nio's `apikey` table.
import { Model } from 'objection';

export class ApiKey extends Model {
  static tableName = 'apikey';
  id!: number;
  user_id!: number;
  api_key!: string;
  created_at!: Date;

  static jsonSchema = {
    type: 'object',
    required: ['user_id', 'api_key'],
    properties: {
      id: { type: 'integer' },
      user_id: { type: 'integer' },
      api_key: { type: 'string', pattern: '^sk-[0-9a-f]{64}$' },
    },
  };
}
